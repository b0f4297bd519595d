/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certa settings show|set: the stored trust settings (validation mode and
 * auto-reject) that certa gate's ingress listeners follow when they have
 * no explicit --mode/--auto-reject (include/certa/settings.h).
 */
#include <stdio.h>
#include <string.h>

#include <certa/settings.h>
#include <certa/trust.h>

#include "cli/cli.h"

#define SETTINGS_USAGE "certa settings show [--json] | certa settings set " \
	"[--mode accept_any|system|trusted_list|trusted_ca|certa_ca] " \
	"[--auto-reject on|off]"

int
cmd_settings(int argc, char **argv)
{
	static const struct cli_opt spec[] = {
		{ "json", false, false }, { "mode", true, false },
		{ "auto-reject", true, false }, { NULL, 0, 0 } };
	struct cli_args			 a;
	struct certa_ctx		*ctx = NULL;
	struct certa_trust_settings	 s;
	struct certa_err		 err;
	const char			*ar;
	int				 on = -1, ec;
	certa_rc			 rc = CERTA_OK;

	if ((ec = cli_parse(argc, argv, spec, &a, SETTINGS_USAGE)) != 0)
		return ec;
	if (a.npos != 1 || (strcmp(a.pos[0], "show") != 0 &&
	    strcmp(a.pos[0], "set") != 0))
		return cli_usage(SETTINGS_USAGE, "expected show or set");
	ar = cli_opt(&a, "auto-reject");
	if (strcmp(a.pos[0], "set") == 0) {
		if (ar != NULL && strcmp(ar, "on") == 0)
			on = 1;
		else if (ar != NULL && strcmp(ar, "off") == 0)
			on = 0;
		else if (ar != NULL)
			return cli_usage(SETTINGS_USAGE, "--auto-reject: "
			    "expected on or off");
		if (on < 0 && cli_opt(&a, "mode") == NULL)
			return cli_usage(SETTINGS_USAGE, "give --mode and/or "
			    "--auto-reject");
	} else if (ar != NULL || cli_opt(&a, "mode") != NULL) {
		return cli_usage(SETTINGS_USAGE, "show takes no --mode or "
		    "--auto-reject");
	}
	if ((ec = cli_open(&ctx)) != 0)
		return ec;
	certa_err_clear(&err);
	if (strcmp(a.pos[0], "set") == 0)
		rc = certa_settings_set(ctx, cli_opt(&a, "mode"), on, &err);
	if (rc == CERTA_OK)
		rc = certa_settings_get(ctx, &s, &err);
	if (rc == CERTA_OK && cli_flag(&a, "json"))
		cli_json_print(json_pack("{s:s, s:b}", "mode",
		    certa_trust_mode_name(s.mode), "auto_reject",
		    s.auto_reject));
	else if (rc == CERTA_OK)
		printf("mode %s\nauto-reject %s\n",
		    certa_trust_mode_name(s.mode), s.auto_reject ? "on" :
		    "off");
	if (rc != CERTA_OK)
		ec = cli_fail(rc, &err);
	certa_close(ctx);
	return ec;
}
