/*
 * registry.c - the registry plugin: organ-donor volunteer registration and
 * living wills (我的五个愿望), with the staff side and public statistics.
 * This file holds the descriptor and hands each part its own init; the
 * routes are listed in docs/api.md ("Registry plugin").
 */
#include "registry.h"

#include <stdio.h>

const struct oak_host *host;

static const struct oak_migration registry_migrations[] = {
    { 1, "donor registrations, revisions, follow-ups", registry_sql_donors },
    { 2, "living wills, versions, reads", registry_sql_wills },
    { 3, "donor card signatures as issued", registry_sql_card_sig },
    { 4, "registering again after a withdrawal; replaced donor cards", registry_sql_donor_renewal },
    { 5, "a new living will after a revocation; sealed read reasons", registry_sql_will_renewal },
    { 6, "follow-ups found by their registration", registry_sql_followups_donor },
    { 0, NULL, NULL }
};

static const struct oak_permission registry_permissions[] = {
    { "registry.read", "search and read donor registrations of one's regions; work the follow-up queue",
      "regional_admin coordinator" },
    { "registry.will.read", "read a living will of one's regions, giving a reason that the registrant sees",
      "regional_admin coordinator" },
    { NULL, NULL, NULL }
};

/* The records a region's rules see: derived values, never ID numbers. */
static const struct oak_hook_point registry_hooks[] = {
    { "registry.validate",
      "a donor registration or amendment: age, gender (\"male\"/\"female\"), ethnicity, region "
      "(six digits), all_organs, organs (list), body, has_guardian, amending",
      "", "require_review notify" },
    { "registry.after_submit",
      "a stored donor registration: number, age, gender, ethnicity, region, all_organs, organs, "
      "body, amending",
      "", "assign notify require_review" },
    { NULL, NULL, NULL, NULL }
};

static int registry_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    int rc;

    host = h;
    if (h->abi_minor < 2) {
        snprintf(err->message, sizeof err->message, "needs ABI 1.2 (Lua hooks, signatures)");
        return err->code = OAK_ESTATE;
    }
    if ((rc = registry_donors_init(ctx, err)) != OAK_OK ||
        (rc = registry_wills_init(ctx, err)) != OAK_OK ||
        (rc = registry_staff_init(ctx, err)) != OAK_OK ||
        (rc = registry_stats_init(ctx, err)) != OAK_OK)
        return rc;
    return OAK_OK;
}

static const struct oak_plugin registry_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "registry",
    .version = "1.0.0",
    .description = "organ-donor volunteer registration and living wills",
    .init = registry_init,
    .migrations = registry_migrations,
    .permissions = registry_permissions,
    .hooks = registry_hooks,
};

OAK_PLUGIN_EXPORT(registry_plugin)
