// SPDX-License-Identifier: GPL-2.0
/*
 * json_check: parse vmctl's --json output from stdin with json-c and
 * check paths in it, for the rig's shell suites (its image has busybox
 * only, nothing that parses JSON).
 *
 * usage: json_check [-n COUNT] [--print PATH] CHECK...
 *   Every JSON value on stdin (one, or JSON lines) must parse; with -n
 *   there must be COUNT of them.  Each CHECK applies to every value:
 *     PATH          exists (and is not null)
 *     !PATH         does not exist (or is null)
 *     PATH=TEXT     its value, as JSON prints a string or number, is TEXT
 *     PATH>NUMBER   it is a number greater than NUMBER
 *   --print PATH prints the first value's PATH (a string without quotes).
 *   A PATH is words joined by dots: an object's key, an array's index,
 *   or KEY=TEXT for the first element of an array whose KEY is TEXT.
 *   Exit status: 0 all hold, 1 one failed (said on stderr), 2 bad usage.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES	1024

/* The text of a scalar as a check compares it: strings bare. */
static const char *scalar_text(json_object *o)
{
	if (json_object_is_type(o, json_type_string))
		return json_object_get_string(o);
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* One component of a path, applied to @o; NULL when it is not there. */
static json_object *step(json_object *o, const char *word)
{
	const char *eq = strchr(word, '=');
	json_object *next;
	char *end;
	size_t i;
	long idx;

	if (json_object_is_type(o, json_type_array)) {
		if (eq) {
			char key[128];

			snprintf(key, sizeof(key), "%.*s", (int)(eq - word), word);
			for (i = 0; i < json_object_array_length(o); i++) {
				json_object *e = json_object_array_get_idx(o, i);

				if (json_object_object_get_ex(e, key, &next) && next &&
				    !strcmp(scalar_text(next), eq + 1))
					return e;
			}
			return NULL;
		}
		idx = strtol(word, &end, 10);
		if (*end || end == word || idx < 0)
			return NULL;
		return json_object_array_get_idx(o, idx);
	}
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, word, &next))
		return next;
	return NULL;
}

/* Follow @path (dots between words) from @root. */
static json_object *lookup(json_object *root, const char *path)
{
	char buf[512], *word, *save = NULL;
	json_object *o = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (word = strtok_r(buf, ".", &save); word && o;
	     word = strtok_r(NULL, ".", &save))
		o = step(o, word);
	return o;
}

/*
 * The operator of a check: the first '=' or '>' after the path's last
 * selector (a selector's own '=' sits before a later dot).
 */
static char *check_op(char *check)
{
	char *dot = strrchr(check, '.');
	char *from = dot ? dot + 1 : check;

	return strpbrk(from, "=>");
}

static int run_check(json_object *root, unsigned int nr, const char *check_in)
{
	char check[512], *op, opc;
	const char *path;
	json_object *o;
	int negate;

	snprintf(check, sizeof(check), "%s", check_in);
	negate = check[0] == '!';
	path = check + negate;
	op = check_op(check + negate);
	opc = op ? *op : 0;
	if (op)
		*op = '\0';
	o = lookup(root, path);
	if (negate) {
		if (!o)
			return 0;
		fprintf(stderr, "json_check: value %u: %s is there: %s\n", nr,
			path, scalar_text(o));
		return 1;
	}
	if (!o) {
		fprintf(stderr, "json_check: value %u: no %s\n", nr, path);
		return 1;
	}
	if (opc == '=' && strcmp(scalar_text(o), op + 1)) {
		fprintf(stderr, "json_check: value %u: %s is %s, not %s\n", nr,
			path, scalar_text(o), op + 1);
		return 1;
	}
	if (opc == '>' && (!(json_object_is_type(o, json_type_int) ||
			     json_object_is_type(o, json_type_double)) ||
			   json_object_get_double(o) <= strtod(op + 1, NULL))) {
		fprintf(stderr, "json_check: value %u: %s is %s, not more than %s\n",
			nr, path, scalar_text(o), op + 1);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static json_object *values[MAX_VALUES];
	struct json_tokener *tok = json_tokener_new();
	const char *print = NULL;
	unsigned int nr = 0, i;
	int a, first, failed = 0, pending = 0;
	long want = -1;
	char buf[65536];
	size_t len, off;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-n") && a + 1 < argc)
			want = strtol(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--print") && a + 1 < argc)
			print = argv[++a];
		else if (argv[a][0] == '-' && argv[a][1] && argv[a][1] != '-')
			goto usage;
		else
			break;
	}
	first = a;
	/* Values one after another, whitespace (newlines) between them. */
	while ((len = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		for (off = 0; off < len;) {
			enum json_tokener_error err;
			json_object *v;

			if (!pending && strchr(" \t\r\n", buf[off])) {
				off++;
				continue;
			}
			v = json_tokener_parse_ex(tok, buf + off, len - off);
			err = json_tokener_get_error(tok);
			if (err == json_tokener_continue) {
				pending = 1;
				break;
			}
			if (err != json_tokener_success) {
				fprintf(stderr, "json_check: value %u does not parse: %s\n",
					nr, json_tokener_error_desc(err));
				return 1;
			}
			off += json_tokener_get_parse_end(tok);
			json_tokener_reset(tok);
			pending = 0;
			if (nr == MAX_VALUES) {
				fprintf(stderr, "json_check: more than %d values\n",
					MAX_VALUES);
				return 1;
			}
			values[nr++] = v;
		}
	}
	if (pending) {
		fprintf(stderr, "json_check: the input ends inside a value\n");
		return 1;
	}
	if (!nr || (want >= 0 && nr != want)) {
		fprintf(stderr, "json_check: %u values, expected %ld\n", nr,
			want >= 0 ? want : 1);
		return 1;
	}
	for (i = 0; i < nr; i++)
		for (a = first; a < argc; a++)
			failed |= run_check(values[i], i, argv[a]);
	if (print) {
		json_object *o = lookup(values[0], print);

		if (!o) {
			fprintf(stderr, "json_check: no %s to print\n", print);
			return 1;
		}
		printf("%s\n", scalar_text(o));
	}
	return failed;
usage:
	fprintf(stderr, "usage: json_check [-n COUNT] [--print PATH] CHECK...\n");
	return 2;
}
