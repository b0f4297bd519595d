/* SPDX-License-Identifier: Apache-2.0 */
/* Migrations compiled from src/store/schema/NNN_name.sql (build/generated). */
#ifndef CERTA_STORE_SCHEMA_H
#define CERTA_STORE_SCHEMA_H

#include <stddef.h>

struct certa_migration {
	int		 version;	/* NNN of the file name */
	const char	*name;		/* file name */
	const char	*sql;		/* statements separated by ';' */
};

extern const struct certa_migration	certa_schema[];
extern const size_t			certa_schema_count;

#endif
