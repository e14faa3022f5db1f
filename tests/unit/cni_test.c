/*
 * cni_test.c - sluice-cni's parsing and output (cni/cni.h): CNI_ARGS, the
 * CNI_* environment, the network config, the result, error and VERSION
 * JSON (compared byte for byte), and the host veth names.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"
#include "tests/unit/check.h"

/* The fake environment cni_env_parse() reads. */
static const char *const *fake_env;

static const char *
fake_get(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *p = fake_env; *p != NULL; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

static void
test_args(void)
{
	struct cni_args a;
	struct cni_err e = { 0 };

	ASSERT_OK(cni_args_parse("K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1",
	    &a, &e));
	ASSERT_STR_EQ(a.pod_namespace, "default");
	ASSERT_STR_EQ(a.pod_name, "p1");
	ASSERT_STR_EQ(a.ip, "");
	ASSERT_OK(cni_args_parse(NULL, &a, &e));
	ASSERT_OK(cni_args_parse("", &a, &e));
	ASSERT_OK(cni_args_parse("IP=10.0.0.8;MAC=0A:58:0a:f7:00:08", &a, &e));
	ASSERT_STR_EQ(a.mac, "0A:58:0a:f7:00:08");
	ASSERT_NE(cni_args_parse("MAC=ff:ff:ff:ff:ff:ff", &a, &e), 0);
	ASSERT_EQ(e.code, CNI_ERR_ENV);
	memset(&e, 0, sizeof(e));
	ASSERT_OK(cni_args_parse(";;IP=10.0.0.7;", &a, &e));
	ASSERT_STR_EQ(a.ip, "10.0.0.7");
	/* Unknown keys: an error unless IgnoreUnknown, before or after. */
	ASSERT_OK(cni_args_parse("IgnoreUnknown=1;FOO=bar;K8S_POD_NAME=x",
	    &a, &e));
	ASSERT_STR_EQ(a.pod_name, "x");
	ASSERT_OK(cni_args_parse("FOO=bar;IgnoreUnknown=true", &a, &e));
	ASSERT_OK(cni_args_parse("K8S_POD_UID=u;K8S_POD_INFRA_CONTAINER_ID=c",
	    &a, &e));
	ASSERT_EQ(e.code, 0);
	ASSERT_NE(cni_args_parse("FOO=bar", &a, &e), 0);
	ASSERT_EQ(e.code, CNI_ERR_UNSUPPORTED);
	ASSERT_STR_HAS(e.msg, "FOO");
	memset(&e, 0, sizeof(e));
	ASSERT_NE(cni_args_parse("FOO=bar;IgnoreUnknown=0", &a, &e), 0);
	memset(&e, 0, sizeof(e));
	ASSERT_NE(cni_args_parse("K8S_POD_NAME", &a, &e), 0);
	ASSERT_EQ(e.code, CNI_ERR_ENV);
	memset(&e, 0, sizeof(e));
	ASSERT_NE(cni_args_parse("=x", &a, &e), 0);
	memset(&e, 0, sizeof(e));
	ASSERT_NE(cni_args_parse("IP=1111111111222222222233333333334444444444"
	    "555555", &a, &e), 0);
	ASSERT_EQ(e.code, CNI_ERR_ENV);
}

static void
test_env(void)
{
	static const char *const add[] = { "CNI_COMMAND=ADD",
	    "CNI_CONTAINERID=abc-1.2_x", "CNI_NETNS=/var/run/netns/p",
	    "CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin",
	    "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p",
	    NULL };
	static const char *const del[] = { "CNI_COMMAND=DEL",
	    "CNI_CONTAINERID=abc", "CNI_IFNAME=eth0", NULL };
	static const char *const noid[] = { "CNI_COMMAND=ADD",
	    "CNI_NETNS=/n", "CNI_IFNAME=eth0", "CNI_PATH=/p", NULL };
	static const char *const badid[] = { "CNI_COMMAND=CHECK",
	    "CNI_CONTAINERID=a/b", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
	    "CNI_PATH=/p", NULL };
	static const char *const badif[] = { "CNI_COMMAND=ADD",
	    "CNI_CONTAINERID=a", "CNI_NETNS=/n",
	    "CNI_IFNAME=0123456789abcdef", "CNI_PATH=/p", NULL };
	static const char *const nonetns[] = { "CNI_COMMAND=ADD",
	    "CNI_CONTAINERID=a", "CNI_IFNAME=eth0", "CNI_PATH=/p", NULL };
	static const char *const badcmd[] = { "CNI_COMMAND=add", NULL };
	static const char *const version[] = { "CNI_COMMAND=VERSION", NULL };
	static const char *const gc[] = { "CNI_COMMAND=GC", NULL };
	struct cni_env env;
	struct cni_err e = { 0 };

	fake_env = add;
	ASSERT_OK(cni_env_parse(&env, fake_get, &e));
	ASSERT_EQ(env.cmd, CNI_CMD_ADD);
	ASSERT_STR_EQ(env.handle, "abc-1.2_x/eth0");
	ASSERT_STR_EQ(env.netns, "/var/run/netns/p");
	ASSERT_STR_EQ(env.args.pod_namespace, "ns");
	ASSERT_STR_EQ(env.args.pod_name, "p");
	fake_env = del;
	ASSERT_OK(cni_env_parse(&env, fake_get, &e));
	ASSERT_EQ(env.cmd, CNI_CMD_DEL);
	ASSERT(env.netns == NULL);
	fake_env = version;
	ASSERT_OK(cni_env_parse(&env, fake_get, &e));
	ASSERT_EQ(env.cmd, CNI_CMD_VERSION);
	fake_env = gc;
	ASSERT_OK(cni_env_parse(&env, fake_get, &e));
	ASSERT_EQ(env.cmd, CNI_CMD_GC);

	fake_env = noid;
	ASSERT_NE(cni_env_parse(&env, fake_get, &e), 0);
	ASSERT_EQ(e.code, CNI_ERR_ENV);
	ASSERT_STR_EQ(e.msg, "CNI_CONTAINERID is not set");
	const char *const *bad[] = { badid, badif, nonetns, badcmd };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		fake_env = bad[i];
		ASSERT_NE(cni_env_parse(&env, fake_get, &e), 0);
		ASSERT_EQ(e.code, CNI_ERR_ENV);
	}
}

static int
parse(struct cni_conf *c, enum cni_cmd cmd, const char *s, struct cni_err *e)
{
	memset(e, 0, sizeof(*e));
	return cni_conf_parse(c, cmd, s, strlen(s), e);
}

static void
test_conf(void)
{
	static const struct {
		const char *in;
		int code;
	} bad[] = {
		{ "", CNI_ERR_DECODE },
		{ "{\"cniVersion\":", CNI_ERR_DECODE },
		{ "[1]", CNI_ERR_DECODE },
		{ "{\"cniVersion\":\"1.0.0\",\"cniVersion\":\"1.0.0\"}",
		    CNI_ERR_DECODE },
		{ "{\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"t\"}",
		    CNI_ERR_VERSION },
		{ "{\"cniVersion\":7,\"name\":\"n\",\"type\":\"t\"}",
		    CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"type\":\"t\"}", CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
		    "\"socket\":1}", CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
		    "\"prevResult\":[]}", CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
		    "\"runtimeConfig\":{\"ips\":[\"10.0.0.1/24\"]}}",
		    CNI_ERR_CONFIG },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
		    "\"ipam\":{\"ips\":[\"10.0.0.1\",\"10.0.0.2\"]}}",
		    CNI_ERR_CONFIG },
	};
	struct cni_conf c;
	struct cni_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_NE(parse(&c, CNI_CMD_ADD, bad[i].in, &e), 0);
		if (e.code != bad[i].code)
			CHECK_FAIL("%s: code %d, not %d (%s)", bad[i].in,
			    e.code, bad[i].code, e.msg);
		cni_conf_free(&c);
	}

	ASSERT_OK(parse(&c, CNI_CMD_ADD, "{\"cniVersion\":\"1.1.0\","
	    "\"name\":\"sluice\",\"type\":\"sluice-cni\",\"unknown\":{}}", &e));
	ASSERT_STR_EQ(c.version, "1.1.0");
	ASSERT_STR_EQ(c.name, "sluice");
	ASSERT_STR_EQ(c.socket, "/run/sluice/sluiced.sock");
	ASSERT_STR_EQ(c.req_addr, "");
	ASSERT(c.prev_result == NULL);
	cni_conf_free(&c);

	/* runtimeConfig wins over args, args over ipam. */
	ASSERT_OK(parse(&c, CNI_CMD_ADD, "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"socket\":\"/tmp/s.sock\","
	    "\"ipam\":{\"ips\":[\"10.0.0.3\"]},"
	    "\"args\":{\"cni\":{\"ips\":[\"10.0.0.2/32\"]}},"
	    "\"runtimeConfig\":{\"ips\":[\"10.0.0.1/32\"]},"
	    "\"prevResult\":{\"cniVersion\":\"1.0.0\"}}", &e));
	ASSERT_STR_EQ(c.socket, "/tmp/s.sock");
	ASSERT_STR_EQ(c.req_addr, "10.0.0.1");
	ASSERT(c.prev_result != NULL);
	cni_conf_free(&c);
	ASSERT_OK(parse(&c, CNI_CMD_ADD, "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"ipam\":{\"type\":\"x\","
	    "\"ips\":[\"10.0.0.3\"]},\"args\":{\"cni\":{}}}", &e));
	ASSERT_STR_EQ(c.req_addr, "10.0.0.3");
	cni_conf_free(&c);

	/* The same address twice (podman's reload after --ip) is one. */
	ASSERT_OK(parse(&c, CNI_CMD_ADD, "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"runtimeConfig\":{\"ips\":"
	    "[\"10.0.0.7\",\"10.0.0.7/32\"]}}", &e));
	ASSERT_STR_EQ(c.req_addr, "10.0.0.7");
	cni_conf_free(&c);
	/* DEL cleans up whatever "ips" says. */
	ASSERT_OK(parse(&c, CNI_CMD_DEL, "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"runtimeConfig\":{\"ips\":"
	    "[\"10.0.0.1\",\"10.0.0.2\"]}}", &e));
	cni_conf_free(&c);

	/* runtimeConfig.mac, the "mac" capability. */
	ASSERT_OK(parse(&c, CNI_CMD_ADD, "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"runtimeConfig\":{\"mac\":"
	    "\"0a:58:0a:f7:00:07\"}}", &e));
	ASSERT_STR_EQ(c.req_mac, "0a:58:0a:f7:00:07");
	cni_conf_free(&c);
	ASSERT_NE(parse(&c, CNI_CMD_ADD, "{\"cniVersion\":\"1.0.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"runtimeConfig\":{\"mac\":"
	    "\"01:00:5e:00:00:01\"}}", &e), 0);	/* multicast */
	ASSERT_EQ(e.code, CNI_ERR_CONFIG);
	cni_conf_free(&c);
	ASSERT(cni_mac_valid("02:00:00:00:00:01"));
	ASSERT(!cni_mac_valid("00:00:00:00:00:00"));
	ASSERT(!cni_mac_valid("02:00:00:00:00:0g"));
	ASSERT(!cni_mac_valid("02:00:00:00:00:01:"));
	ASSERT(!cni_mac_valid("2:00:00:00:00:01"));
	ASSERT(!cni_mac_valid("02-00-00-00-00-01"));

	/* GC's valid attachments become handles. */
	ASSERT_OK(parse(&c, CNI_CMD_GC, "{\"cniVersion\":\"1.1.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"cni.dev/valid-attachments\":"
	    "[{\"containerID\":\"c1\",\"ifname\":\"eth0\"},"
	    "{\"containerID\":\"c2\",\"ifname\":\"net1\"}]}", &e));
	ASSERT_EQ(c.nvalid, 2);
	ASSERT_STR_EQ(c.valid[0], "c1/eth0");
	ASSERT_STR_EQ(c.valid[1], "c2/net1");
	cni_conf_free(&c);
	ASSERT_NE(parse(&c, CNI_CMD_GC, "{\"cniVersion\":\"1.1.0\","
	    "\"name\":\"n\",\"type\":\"t\",\"cni.dev/valid-attachments\":"
	    "[{\"containerID\":\"c1\"}]}", &e), 0);
	ASSERT_EQ(e.code, CNI_ERR_CONFIG);
	cni_conf_free(&c);

	/* VERSION takes anything and echoes only a version it knows. */
	ASSERT_OK(parse(&c, CNI_CMD_VERSION, "", &e));
	ASSERT_STR_EQ(c.version, "");
	cni_conf_free(&c);
	ASSERT_OK(parse(&c, CNI_CMD_VERSION, "{\"cniVersion\":\"0.3.1\"}", &e));
	ASSERT_STR_EQ(c.version, "");
	cni_conf_free(&c);
	ASSERT_OK(parse(&c, CNI_CMD_VERSION, "{\"cniVersion\":\"1.0.0\"}", &e));
	ASSERT_STR_EQ(c.version, "1.0.0");
	cni_conf_free(&c);
}

static const struct cni_attachment att = {
	.host_ifname = "sl0123456789ab", .host_mac = "aa:aa:aa:aa:aa:aa",
	.ifname = "eth0", .mac = "bb:bb:bb:bb:bb:bb",
	.sandbox = "/var/run/netns/p1", .address = "10.1.2.3", .mtu = 1450,
};

static void
test_result(void)
{
	json_t *prev;
	char *s;

	s = cni_result_json("1.0.0", &att, NULL);
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.0.0\",\"interfaces\":["
	    "{\"name\":\"sl0123456789ab\",\"mac\":\"aa:aa:aa:aa:aa:aa\"},"
	    "{\"name\":\"eth0\",\"mac\":\"bb:bb:bb:bb:bb:bb\","
	    "\"sandbox\":\"/var/run/netns/p1\"}],"
	    "\"ips\":[{\"address\":\"10.1.2.3/32\",\"gateway\":\"169.254.1.1\","
	    "\"interface\":1}],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
	    "\"dns\":{}}");
	free(s);
	/* 1.1.0 reports the MTU of the pod's interface. */
	s = cni_result_json("1.1.0", &att, NULL);
	ASSERT_STR_HAS(s, "{\"name\":\"eth0\",\"mac\":\"bb:bb:bb:bb:bb:bb\","
	    "\"mtu\":1450,\"sandbox\":\"/var/run/netns/p1\"}");
	free(s);

	/* Chained: what came before stays, ours is appended. */
	prev = json_loads("{\"cniVersion\":\"1.0.0\",\"interfaces\":"
	    "[{\"name\":\"x\"}],\"ips\":[{\"address\":\"192.168.0.2/24\","
	    "\"interface\":0}],\"routes\":[{\"dst\":\"192.168.0.0/16\"}],"
	    "\"dns\":{\"nameservers\":[\"1.1.1.1\"]}}", 0, NULL);
	ASSERT(prev != NULL);
	s = cni_result_json("1.0.0", &att, prev);
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.0.0\",\"interfaces\":["
	    "{\"name\":\"x\"},"
	    "{\"name\":\"sl0123456789ab\",\"mac\":\"aa:aa:aa:aa:aa:aa\"},"
	    "{\"name\":\"eth0\",\"mac\":\"bb:bb:bb:bb:bb:bb\","
	    "\"sandbox\":\"/var/run/netns/p1\"}],"
	    "\"ips\":[{\"address\":\"192.168.0.2/24\",\"interface\":0},"
	    "{\"address\":\"10.1.2.3/32\",\"gateway\":\"169.254.1.1\","
	    "\"interface\":2}],"
	    "\"routes\":[{\"dst\":\"192.168.0.0/16\"},{\"dst\":\"0.0.0.0/0\"}],"
	    "\"dns\":{\"nameservers\":[\"1.1.1.1\"]}}");
	free(s);
	json_decref(prev);
}

static void
test_error_version(void)
{
	struct cni_err e = { 0 };
	char *s;

	ASSERT_NE(cni_err_set(&e, CNI_ERR_TRY_AGAIN, "connect: refused",
	    "sluiced is not reachable at %s", "/x"), 0);
	/* The first error wins. */
	cni_err_set(&e, CNI_ERR_IO, NULL, "later");
	s = cni_error_json("1.0.0", &e);
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.0.0\",\"code\":11,"
	    "\"msg\":\"sluiced is not reachable at /x\","
	    "\"details\":\"connect: refused\"}");
	free(s);
	memset(&e, 0, sizeof(e));
	cni_err_set(&e, CNI_ERR_DECODE, NULL, "bad \"json\"");
	s = cni_error_json("", &e);
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.1.0\",\"code\":6,"
	    "\"msg\":\"bad \\\"json\\\"\"}");
	free(s);
	memset(&e, 0, sizeof(e));
	cni_err_set(&e, CNI_ERR_CONFIG, "\xff", "not utf-8 \xfe");
	s = cni_error_json("1.0.0", &e);
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.0.0\",\"code\":7,"
	    "\"msg\":\"(message not valid UTF-8)\"}");
	free(s);

	s = cni_version_json("");
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.1.0\","
	    "\"supportedVersions\":[\"1.0.0\",\"1.1.0\"]}");
	free(s);
	s = cni_version_json("1.0.0");
	ASSERT_STR_EQ(s, "{\"cniVersion\":\"1.0.0\","
	    "\"supportedVersions\":[\"1.0.0\",\"1.1.0\"]}");
	free(s);
}

static void
test_host_ifname(void)
{
	char a[CNI_IFNAME_MAX], b[CNI_IFNAME_MAX];
	char (*seen)[CNI_IFNAME_MAX];
	enum { N = 2000 };

	cni_host_ifname("c1/eth0", a, sizeof(a));
	cni_host_ifname("c1/eth0", b, sizeof(b));
	ASSERT_STR_EQ(a, b);
	ASSERT_EQ(strlen(a), 14);
	ASSERT(strncmp(a, "sl", 2) == 0);
	ASSERT_EQ(strspn(a + 2, "0123456789abcdef"), 12);
	/* Pinned: DEL and GC must find what an older ADD made. */
	ASSERT_STR_EQ(a, "sla0abdbb07ad3");
	cni_host_ifname("c1/eth1", b, sizeof(b));
	ASSERT(strcmp(a, b) != 0);
	seen = calloc(N, sizeof(*seen));
	ASSERT(seen != NULL);
	for (int i = 0; i < N; i++) {
		char h[64];

		snprintf(h, sizeof(h), "%016llx/eth0",
		    (unsigned long long)check_rand());
		cni_host_ifname(h, seen[i], sizeof(seen[i]));
		for (int j = 0; j < i; j++)
			ASSERT(strcmp(seen[i], seen[j]) != 0);
	}
	free(seen);
}

int
main(void)
{
	check_seed();
	RUN(test_args);
	RUN(test_env);
	RUN(test_conf);
	RUN(test_result);
	RUN(test_error_version);
	RUN(test_host_ifname);
	return 0;
}
