/*
 * render.h - turns status socket results (msgpack) into what people and
 * scripts read: aligned key/value lines and tables, or JSON.
 */
#ifndef SLUICE_CLI_RENDER_H
#define SLUICE_CLI_RENDER_H

#include <stdio.h>

#include <msgpack.h>

/* Maps print as aligned "key  value" lines (nested maps indented),
 * arrays of maps as tables with a header row. */
void render_human(const msgpack_object *o, FILE *out);

/* Returns 0, or -EINVAL for values JSON cannot hold (such as bin). */
int render_json(const msgpack_object *o, FILE *out);

#endif
