#include "cli/render.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

/*
 * "uptimeSeconds" -> "uptime seconds", "vtepMAC" -> "vtep MAC": keys are
 * for programs, these are for people. A capital starts a new word; a run
 * of capitals is an acronym and keeps its case.
 */
static void
words(const msgpack_object *k, char *buf, size_t size)
{
	size_t j = 0;

	if (k->type != MSGPACK_OBJECT_STR) {
		snprintf(buf, size, "?");
		return;
	}
	for (uint32_t i = 0; i < k->via.str.size && j + 2 < size; i++) {
		const char *s = k->via.str.ptr;
		unsigned char ch = (unsigned char)s[i];

		if (isupper(ch) && i > 0) {
			bool prev_upper = isupper((unsigned char)s[i - 1]);
			bool next_lower = i + 1 < k->via.str.size &&
			    islower((unsigned char)s[i + 1]);

			if (!prev_upper)
				buf[j++] = ' ';
			if (next_lower)
				ch = (unsigned char)tolower(ch);
		}
		buf[j++] = isprint(ch) ? (char)ch : '?';
	}
	buf[j] = '\0';
}

static void
scalar(const msgpack_object *o, char *buf, size_t size)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		snprintf(buf, size, "-");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		snprintf(buf, size, "%s", o->via.boolean ? "yes" : "no");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(buf, size, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, size, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		snprintf(buf, size, "%g", o->via.f64);
		break;
	case MSGPACK_OBJECT_STR: {
		size_t j = 0;

		for (uint32_t i = 0; i < o->via.str.size && j + 1 < size; i++) {
			unsigned char ch = (unsigned char)o->via.str.ptr[i];

			/* No terminal control sequences from the wire. */
			buf[j++] = (ch < 0x20 && ch != '\t') || ch == 0x7f ?
			    '?' : (char)ch;
		}
		buf[j] = '\0';
		break;
	}
	case MSGPACK_OBJECT_BIN:
		snprintf(buf, size, "<%u bytes>", o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY: {
		size_t j = 0;

		if (o->via.array.size == 0) {
			snprintf(buf, size, "-");
			break;
		}
		buf[0] = '\0';
		for (uint32_t i = 0; i < o->via.array.size && j + 1 < size; i++) {
			char item[256];

			scalar(&o->via.array.ptr[i], item, sizeof(item));
			j += (size_t)snprintf(buf + j, size - j, "%s%s",
			    i ? ", " : "", item);
		}
		break;
	}
	default:
		snprintf(buf, size, "...");
		break;
	}
}

static bool
is_table(const msgpack_object *o)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
		return false;
	for (uint32_t i = 0; i < o->via.array.size; i++)
		if (o->via.array.ptr[i].type != MSGPACK_OBJECT_MAP)
			return false;
	return true;
}

#define MAX_COLS 24

/* Columns are the keys of the first row; later rows fill them by name. */
static void
table(const msgpack_object *o, FILE *out, int indent)
{
	const msgpack_object *first = &o->via.array.ptr[0];
	uint32_t ncols = first->via.map.size < MAX_COLS ?
	    first->via.map.size : MAX_COLS;
	size_t width[MAX_COLS];
	char cell[256];

	for (uint32_t c = 0; c < ncols; c++) {
		words(&first->via.map.ptr[c].key, cell, sizeof(cell));
		width[c] = strlen(cell);
	}
	for (uint32_t r = 0; r < o->via.array.size; r++) {
		const msgpack_object *row = &o->via.array.ptr[r];

		for (uint32_t c = 0; c < ncols; c++) {
			const msgpack_object *k = &first->via.map.ptr[c].key;

			for (uint32_t i = 0; i < row->via.map.size; i++) {
				const msgpack_object_kv *kv = &row->via.map.ptr[i];

				if (kv->key.type == MSGPACK_OBJECT_STR &&
				    k->type == MSGPACK_OBJECT_STR &&
				    kv->key.via.str.size == k->via.str.size &&
				    memcmp(kv->key.via.str.ptr, k->via.str.ptr,
				    k->via.str.size) == 0) {
					scalar(&kv->val, cell, sizeof(cell));
					if (strlen(cell) > width[c])
						width[c] = strlen(cell);
				}
			}
		}
	}
	fprintf(out, "%*s", indent, "");
	for (uint32_t c = 0; c < ncols; c++) {
		words(&first->via.map.ptr[c].key, cell, sizeof(cell));
		for (char *p = cell; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		fprintf(out, "%-*s%s", (int)width[c], cell,
		    c + 1 < ncols ? "  " : "\n");
	}
	for (uint32_t r = 0; r < o->via.array.size; r++) {
		const msgpack_object *row = &o->via.array.ptr[r];

		fprintf(out, "%*s", indent, "");
		for (uint32_t c = 0; c < ncols; c++) {
			const msgpack_object *k = &first->via.map.ptr[c].key;

			snprintf(cell, sizeof(cell), "-");
			for (uint32_t i = 0; i < row->via.map.size; i++) {
				const msgpack_object_kv *kv = &row->via.map.ptr[i];

				if (kv->key.type == MSGPACK_OBJECT_STR &&
				    k->type == MSGPACK_OBJECT_STR &&
				    kv->key.via.str.size == k->via.str.size &&
				    memcmp(kv->key.via.str.ptr, k->via.str.ptr,
				    k->via.str.size) == 0)
					scalar(&kv->val, cell, sizeof(cell));
			}
			fprintf(out, "%-*s%s", (int)width[c], cell,
			    c + 1 < ncols ? "  " : "\n");
		}
	}
}

static void
human(const msgpack_object *o, FILE *out, int indent)
{
	char key[128], val[1024];
	size_t w = 0;

	if (is_table(o)) {
		table(o, out, indent);
		return;
	}
	if (o->type != MSGPACK_OBJECT_MAP) {
		scalar(o, val, sizeof(val));
		fprintf(out, "%*s%s\n", indent, "", val);
		return;
	}
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		words(&o->via.map.ptr[i].key, key, sizeof(key));
		if (strlen(key) > w)
			w = strlen(key);
	}
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *v = &o->via.map.ptr[i].val;

		words(&o->via.map.ptr[i].key, key, sizeof(key));
		if (v->type == MSGPACK_OBJECT_MAP || is_table(v)) {
			fprintf(out, "%*s%s:\n", indent, "", key);
			human(v, out, indent + 2);
		} else {
			scalar(v, val, sizeof(val));
			fprintf(out, "%*s%-*s  %s\n", indent, "", (int)w + 1,
			    strcat(key, ":"), val);
		}
	}
}

void
render_human(const msgpack_object *o, FILE *out)
{
	human(o, out, 0);
}

static json_t *
to_json(const msgpack_object *o, int depth)
{
	json_t *j;

	if (depth > 64)
		return NULL;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return json_real((double)o->via.u64);
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		return json_stringn(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		for (uint32_t i = 0; j && i < o->via.array.size; i++) {
			json_t *e = to_json(&o->via.array.ptr[i], depth + 1);

			if (e == NULL || json_array_append_new(j, e) != 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		for (uint32_t i = 0; j && i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			json_t *e;

			if (kv->key.type != MSGPACK_OBJECT_STR) {
				json_decref(j);
				return NULL;
			}
			e = to_json(&kv->val, depth + 1);
			if (e == NULL || json_object_setn_new(j,
			    kv->key.via.str.ptr, kv->key.via.str.size, e) != 0) {
				json_decref(e);
				json_decref(j);
				return NULL;
			}
		}
		return j;
	default:
		return NULL;
	}
}

int
render_json(const msgpack_object *o, FILE *out)
{
	json_t *j = to_json(o, 0);

	if (j == NULL)
		return -EINVAL;
	json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	fputc('\n', out);
	json_decref(j);
	return 0;
}
