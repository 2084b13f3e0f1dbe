/*
 * replay.c - main() for a fuzz target built without libFuzzer: runs the
 * target on every file of its corpus and prints one TAP line per file.
 * The corpus is $top_srcdir/tests/fuzz/corpus/<target>, where the program
 * is named replay_<target>; arguments, when given, are files or folders
 * to run instead. A property violation or a crash aborts the program,
 * which the TAP driver reports as an error naming the last file.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int n;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;

    if (!f) {
        printf("not ok %d - cannot open %s\n", ++n, path);
        return 1;
    }
    do {
        if (len == cap) {
            uint8_t *p = realloc(buf, cap = cap ? cap * 2 : 4096);

            if (!p) {
                fclose(f);
                free(buf);
                printf("not ok %d - out of memory reading %s\n", ++n, path);
                return 1;
            }
            buf = p;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    fprintf(stderr, "# running %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    printf("ok %d - %s\n", ++n, path);
    fflush(stdout);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of DIR, in name order (stable TAP numbering). */
static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    int count = 0, bad = 0;

    if (!d) {
        printf("not ok %d - cannot open corpus folder %s\n", ++n, dir);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        char **p;

        if (e->d_name[0] == '.')
            continue;
        p = realloc(names, sizeof *names * (size_t)(count + 1));
        if (!p)
            break;
        names = p;
        names[count] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[count])
            break;
        sprintf(names[count], "%s/%s", dir, e->d_name);
        count++;
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof *names, cmp);
    for (int i = 0; i < count; i++) {
        bad += run_file(names[i]);
        free(names[i]);
    }
    free(names);
    if (count == 0) {
        printf("not ok %d - corpus folder %s is empty\n", ++n, dir);
        bad++;
    }
    return bad;
}

static int run_path(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return run_dir(path);
    return run_file(path);
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/'), *top = getenv("top_srcdir");
    int bad = 0;

    name = name ? name + 1 : argv[0];
    if (strncmp(name, "lt-", 3) == 0)
        name += 3;
    if (strncmp(name, "replay_", 7) == 0)
        name += 7;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            bad += run_path(argv[i]);
    } else {
        char dir[4096];

        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", name);
        bad = run_dir(dir);
    }
    printf("1..%d\n", n);
    return bad ? 1 : 0;
}
