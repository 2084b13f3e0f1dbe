/*
 * roles.h - the staff roles and which permissions each holds. A plugin's
 * permission lists its default roles; national_admin holds every
 * permission; an account may also hold extra grants.
 */
#ifndef OAK_ROLES_H
#define OAK_ROLES_H

struct oak_app;

/* The role names, NULL-terminated, most powerful first. */
extern const char *const oak_roles[];

/* 1 when NAME is a role. */
int oak_role_known(const char *name);
/* Chinese label of a role ("省级管理员"), or the name itself. */
const char *oak_role_label(const char *name);
/* 0 when every space-separated word of LIST is a role, else -1. */
int oak_roles_valid(const char *list);
/* 1 when ROLE holds PERM by default (through a loaded plugin's
 * declaration or by being national_admin). */
int oak_role_has(const struct oak_app *app, const char *role, const char *perm);
/* 1 when ROLE is one of the admin roles (TOTP may be required). */
int oak_role_is_admin(const char *role);

#endif
