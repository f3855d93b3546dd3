// SPDX-License-Identifier: GPL-2.0
/* Formatting and option parsing shared by list, stat, events, rename. */
#include <getopt.h>
#include <string.h>
#include <time.h>
#include "ctl/cli.h"
#include "vmctl.h"

void ctl_format_time(char *buf, size_t size, uint64_t ns)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	if (!ns || !localtime_r(&t, &tm) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "-");
}

void ctl_format_duration(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%llu.%03llus", (unsigned long long)(ns / 1000000000ULL),
		 (unsigned long long)(ns / 1000000 % 1000));
}

int ctl_parse_common(int argc, char **argv, const char *usage, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!json)
				goto bad;	/* this command has no --json */
			*json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			goto bad;
		}
	}
	return 0;
bad:
	vmctl_err("%s: unknown option '%s' (see vmctl %s --help)", argv[0],
		  argv[optind - 1], argv[0]);
	return -1;
}
