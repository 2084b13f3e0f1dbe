/*
 * roles.c - staff roles (see roles.h).
 */
#include "roles.h"
#include "app.h"
#include "plugins.h"

#include <string.h>

const char *const oak_roles[] = {
    "national_admin", "regional_admin", "coordinator", "trainer", "volunteer_manager", "staff",
    NULL
};

static const char *const labels[] = {
    "全国管理员", "地区管理员", "协调员", "培训师", "志愿者管理员", "工作人员", NULL
};

int oak_role_known(const char *name)
{
    for (int i = 0; oak_roles[i]; i++)
        if (strcmp(oak_roles[i], name) == 0)
            return 1;
    return 0;
}

const char *oak_role_label(const char *name)
{
    for (int i = 0; oak_roles[i]; i++)
        if (strcmp(oak_roles[i], name) == 0)
            return labels[i];
    return name;
}

/* 1 when WORD (length n) appears as a space-separated word of LIST. */
static int word_in(const char *list, const char *word, size_t n)
{
    const char *s = list;

    while (*s) {
        size_t len;

        while (*s == ' ')
            s++;
        len = strcspn(s, " ");
        if (len == n && strncmp(s, word, n) == 0)
            return 1;
        s += len;
    }
    return 0;
}

int oak_roles_valid(const char *list)
{
    const char *s = list;

    while (*s) {
        char word[32];
        size_t len;

        while (*s == ' ')
            s++;
        len = strcspn(s, " ");
        if (len == 0)
            break;
        if (len >= sizeof word)
            return -1;
        memcpy(word, s, len);
        word[len] = '\0';
        if (!oak_role_known(word))
            return -1;
        s += len;
    }
    return 0;
}

int oak_role_has(const struct oak_app *app, const char *role, const char *perm)
{
    if (strcmp(role, "national_admin") == 0)
        return 1;
    for (int i = 0; i < app->nplugins; i++)
        for (const struct oak_permission *p = app->plugins[i]->desc->permissions; p && p->name; p++)
            if (strcmp(p->name, perm) == 0 && p->roles && word_in(p->roles, role, strlen(role)))
                return 1;
    return 0;
}

int oak_role_is_admin(const char *role)
{
    return strcmp(role, "national_admin") == 0 || strcmp(role, "regional_admin") == 0;
}
