/*
 * core_schema.h - the core's migrations and permissions.
 */
#ifndef OAK_CORE_SCHEMA_H
#define OAK_CORE_SCHEMA_H

#include "oakseed/plugin.h"

extern const struct oak_migration oak_core_migrations[];
extern const struct oak_permission oak_core_permissions[];

#endif
