/*
 * keyfile.c - reading, checking, creating and rotating the key file (see
 * keyfile.h). The file is read through one descriptor that is checked with
 * fstat, so the mode and owner checked are those of the bytes read. Every
 * buffer that ever holds key material (the file text, the parsed keys) lives
 * in page-aligned memory that is locked, kept out of core dumps and wiped
 * before it is freed; those calls are best effort.
 */
#include "keyfile.h"
#include "fsutil.h"
#include "urlencode.h"
#include "oakseed/plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define KEYFILE_MAX (64 * 1024) /* a file that large is not a key file */
#define HEX_LEN (2 * OAK_KEY_LEN)

struct oak_key {
    char id[OAK_KEY_ID_MAX + 1];
    unsigned char key[OAK_KEY_LEN];
};

/* Everything secret, in one locked block. */
struct secrets {
    unsigned char index_key[OAK_KEY_LEN];
    struct oak_key keys[];
};

struct oak_keyring {
    char current[OAK_KEY_ID_MAX + 1];
    int has_current, has_index;
    size_t nkeys, cap;
    struct secrets *s;
    size_t s_len;
    /* one value derived from the keys, made on first use (see
     * oak_keyring_derived); the lock makes that safe across threads */
    pthread_mutex_t lock;
    void *derived;
    void (*derived_free)(void *);
};

/* Where the "current" line is, so add_key can replace it in place. */
struct line_span {
    size_t start, end;
};

/* ---- memory for secrets -------------------------------------------------- */

static void *secret_alloc(size_t want, size_t *len_out)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t pg = page > 0 ? (size_t)page : 4096;
    size_t len = (want + pg - 1) / pg * pg;
    void *p = NULL;

    if (len == 0)
        len = pg;
    if (posix_memalign(&p, pg, len) != 0)
        return NULL;
    memset(p, 0, len);
    (void)mlock(p, len); /* best effort: RLIMIT_MEMLOCK may forbid it */
#ifdef MADV_DONTDUMP
    (void)madvise(p, len, MADV_DONTDUMP);
#endif
    *len_out = len;
    return p;
}

static void secret_free(void *p, size_t len)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, len);
#ifdef MADV_DODUMP
    (void)madvise(p, len, MADV_DODUMP);
#endif
    (void)munlock(p, len);
    free(p);
}

/* ---- small helpers -------------------------------------------------------- */

int oak_key_id_valid(const char *id, size_t len)
{
    size_t i;

    if (!id || len == 0 || len > OAK_KEY_ID_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
            return 0;
    return 1;
}


/* Decode exactly HEX_LEN hex digits into OAK_KEY_LEN bytes. */
static int hex_key(const char *s, size_t len, unsigned char *out)
{
    size_t i;

    if (len != HEX_LEN)
        return -1;
    for (i = 0; i < OAK_KEY_LEN; i++) {
        int hi = oak_hex_value(s[2 * i]), lo = oak_hex_value(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* Write a fresh random key as HEX_LEN lower-case digits plus a NUL. */
static int random_hex_key(char out[HEX_LEN + 1])
{
    unsigned char k[OAK_KEY_LEN];

    if (RAND_bytes(k, sizeof k) != 1)
        return -1;
    oak_hex_encode(k, sizeof k, out);
    OPENSSL_cleanse(k, sizeof k);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}


/* ---- reading and parsing ------------------------------------------------- */

/* Open PATH, check owner and mode on the open descriptor, and read it into
 * secret memory (NUL-terminated). */
static int read_keyfile(const char *path, char **buf_out, size_t *len_out, size_t *cap_out,
                        char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int fd, rc = OAK_ERROR;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
        return errno == ENOENT ? OAK_ENOTFOUND : OAK_EIO;
    }
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
        rc = OAK_EIO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "key file %s is not a regular file", path);
        rc = OAK_EINVAL;
        goto out;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "key file %s is owned by uid %ld, not by the user running oakseed (uid %ld)",
                 path, (long)st.st_uid, (long)geteuid());
        rc = OAK_EINVAL;
        goto out;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "key file %s is %s by group or others (mode %04o); run chmod 600 %s", path,
                 (st.st_mode & 044) ? "readable" : "accessible", (unsigned)(st.st_mode & 07777), path);
        rc = OAK_EINVAL;
        goto out;
    }
    if (st.st_size > KEYFILE_MAX) {
        snprintf(err, errlen, "key file %s is larger than %d bytes", path, KEYFILE_MAX);
        rc = OAK_EINVAL;
        goto out;
    }
    buf = secret_alloc((size_t)st.st_size + 1, &cap);
    if (!buf) {
        snprintf(err, errlen, "key file %s: out of memory", path);
        rc = OAK_ENOMEM;
        goto out;
    }
    while (len < cap - 1) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
            rc = OAK_EIO;
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0'; /* a file that grew meanwhile is read up to its checked size */
    *buf_out = buf;
    *len_out = len;
    *cap_out = cap;
    buf = NULL;
    rc = OAK_OK;
out:
    secret_free(buf, cap);
    close(fd);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Split [p, end) into at most MAX whitespace-separated tokens; returns the
 * count, or MAX + 1 when there are more. */
static int split(const char *p, const char *end, const char **tok, size_t *tlen, int max)
{
    int n = 0;

    for (;;) {
        const char *s;

        while (p < end && is_space(*p))
            p++;
        if (p == end)
            return n;
        if (n == max)
            return max + 1;
        s = p;
        while (p < end && !is_space(*p))
            p++;
        tok[n] = s;
        tlen[n] = (size_t)(p - s);
        n++;
    }
}

static int tok_is(const char *t, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(t, word, len) == 0;
}

static struct oak_key *find_key(const struct oak_keyring *kr, const char *id)
{
    size_t i;

    for (i = 0; i < kr->nkeys; i++)
        if (strcmp(kr->s->keys[i].id, id) == 0)
            return &kr->s->keys[i];
    return NULL;
}

/* Messages below never quote the line: it may hold a key. */
static int parse_line(struct oak_keyring *kr, const char *path, int lineno, const char *p,
                      const char *end, int *is_current, char *err, size_t errlen)
{
    const char *tok[3];
    size_t tlen[3];
    int n = split(p, end, tok, tlen, 3);
    char id[OAK_KEY_ID_MAX + 1];

    *is_current = 0;
    if (n == 0 || tok[0][0] == '#')
        return 0;
    if (tok_is(tok[0], tlen[0], "key")) {
        struct oak_key *k;

        if (n != 3) {
            snprintf(err, errlen, "key file %s line %d: expected 'key <id> <64 hex digits>'", path, lineno);
            return -1;
        }
        if (!oak_key_id_valid(tok[1], tlen[1])) {
            snprintf(err, errlen, "key file %s line %d: a key id is 1-16 characters a-z or 0-9", path, lineno);
            return -1;
        }
        memcpy(id, tok[1], tlen[1]);
        id[tlen[1]] = '\0';
        if (find_key(kr, id)) {
            snprintf(err, errlen, "key file %s line %d: key %s defined twice", path, lineno, id);
            return -1;
        }
        if (kr->nkeys == kr->cap) {
            snprintf(err, errlen, "key file %s line %d: too many keys", path, lineno);
            return -1;
        }
        k = &kr->s->keys[kr->nkeys];
        if (hex_key(tok[2], tlen[2], k->key) < 0) {
            OPENSSL_cleanse(k->key, sizeof k->key);
            snprintf(err, errlen, "key file %s line %d: key %s must be exactly 64 hex digits", path,
                     lineno, id);
            return -1;
        }
        memcpy(k->id, id, sizeof id);
        kr->nkeys++;
        return 0;
    }
    if (tok_is(tok[0], tlen[0], "current")) {
        if (n != 2 || !oak_key_id_valid(tok[1], tlen[1])) {
            snprintf(err, errlen, "key file %s line %d: expected 'current <id>' (id 1-16 characters a-z, 0-9)",
                     path, lineno);
            return -1;
        }
        if (kr->has_current) {
            snprintf(err, errlen, "key file %s line %d: a second 'current' line", path, lineno);
            return -1;
        }
        memcpy(kr->current, tok[1], tlen[1]);
        kr->current[tlen[1]] = '\0';
        kr->has_current = 1;
        *is_current = 1;
        return 0;
    }
    if (tok_is(tok[0], tlen[0], "index")) {
        if (n != 2 || hex_key(tok[1], tlen[1], kr->s->index_key) < 0) {
            OPENSSL_cleanse(kr->s->index_key, sizeof kr->s->index_key);
            snprintf(err, errlen, "key file %s line %d: expected 'index <64 hex digits>'", path, lineno);
            return -1;
        }
        if (kr->has_index) {
            snprintf(err, errlen, "key file %s line %d: a second 'index' line", path, lineno);
            return -1;
        }
        kr->has_index = 1;
        return 0;
    }
    snprintf(err, errlen, "key file %s line %d: unknown item (expected key, current or index)", path, lineno);
    return -1;
}

/* Parse the text of a key file into a new keyring; CUR gets the span of
 * the "current" line. Returns NULL with a message. */
static struct oak_keyring *parse(const char *path, const char *buf, size_t len, struct line_span *cur,
                                 char *err, size_t errlen)
{
    struct oak_keyring *kr = calloc(1, sizeof *kr);
    size_t lines = 1, i;
    const char *p = buf, *end = buf + len;
    int lineno = 0;

    if (!kr) {
        snprintf(err, errlen, "key file %s: out of memory", path);
        return NULL;
    }
    pthread_mutex_init(&kr->lock, NULL);
    for (i = 0; i < len; i++)
        lines += buf[i] == '\n';
    kr->cap = lines;
    kr->s = secret_alloc(sizeof *kr->s + lines * sizeof(struct oak_key), &kr->s_len);
    if (!kr->s) {
        snprintf(err, errlen, "key file %s: out of memory", path);
        free(kr);
        return NULL;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        int is_current;

        lineno++;
        if (memchr(p, '\0', (size_t)(eol - p))) {
            snprintf(err, errlen, "key file %s line %d: NUL byte", path, lineno);
            goto fail;
        }
        if (parse_line(kr, path, lineno, p, eol, &is_current, err, errlen) < 0)
            goto fail;
        if (is_current && cur) {
            cur->start = (size_t)(p - buf);
            cur->end = (size_t)((nl ? nl + 1 : end) - buf);
        }
        p = nl ? nl + 1 : end;
    }
    if (kr->nkeys == 0) {
        snprintf(err, errlen, "key file %s has no data key (a 'key <id> <64 hex digits>' line)", path);
        goto fail;
    }
    if (!kr->has_current) {
        snprintf(err, errlen, "key file %s has no 'current <id>' line", path);
        goto fail;
    }
    if (!find_key(kr, kr->current)) {
        snprintf(err, errlen, "key file %s: current key %s is not defined by a 'key' line", path,
                 kr->current);
        goto fail;
    }
    if (!kr->has_index) {
        snprintf(err, errlen, "key file %s has no 'index <64 hex digits>' line (the blind-index key)", path);
        goto fail;
    }
    return kr;
fail:
    oak_keyring_free(kr);
    return NULL;
}

/* ---- public: keyring ------------------------------------------------------ */

struct oak_keyring *oak_keyring_load(const char *path, char *err, size_t errlen)
{
    struct oak_keyring *kr;
    char *buf;
    size_t len, cap;

    if (!path || !*path) {
        snprintf(err, errlen, "no key file given");
        return NULL;
    }
    /* OpenSSL's secure heap (locked, left out of core dumps) holds the
     * private keys it makes from ours (crypto.c's signing key). Set up
     * here, at start-up and reload, never inside a request: OpenSSL aborts
     * when it cannot allocate the heap. */
    if (!CRYPTO_secure_malloc_initialized())
        (void)CRYPTO_secure_malloc_init(16384, 16);
    if (read_keyfile(path, &buf, &len, &cap, err, errlen) != OAK_OK)
        return NULL;
    kr = parse(path, buf, len, NULL, err, errlen);
    secret_free(buf, cap);
    return kr;
}

void oak_keyring_free(struct oak_keyring *kr)
{
    if (!kr)
        return;
    if (kr->derived && kr->derived_free)
        kr->derived_free(kr->derived);
    pthread_mutex_destroy(&kr->lock);
    secret_free(kr->s, kr->s_len);
    OPENSSL_cleanse(kr, sizeof *kr);
    free(kr);
}

const char *oak_keyring_current_id(const struct oak_keyring *kr)
{
    return kr ? kr->current : NULL;
}

int oak_keyring_has(const struct oak_keyring *kr, const char *id)
{
    return kr && id && find_key(kr, id) != NULL;
}

const unsigned char *oak_keyring_data_key(const struct oak_keyring *kr, const char *id)
{
    const struct oak_key *k = kr && id ? find_key(kr, id) : NULL;

    return k ? k->key : NULL;
}

const unsigned char *oak_keyring_index_key(const struct oak_keyring *kr)
{
    return kr ? kr->s->index_key : NULL;
}

const unsigned char *oak_keyring_key_at(const struct oak_keyring *kr, size_t i)
{
    return kr && i < kr->nkeys ? kr->s->keys[i].key : NULL;
}

/* ---- public: creating and rotating --------------------------------------- */

static const char header[] =
    "# oakseed key file: keep it secret, mode 0600, owned by the user running oakseed.\n"
    "#   key <id> <64 hex digits>  a data-encryption key; keep it while stored values use it\n"
    "#   current <id>              the key new values are encrypted with\n"
    "#   index <64 hex digits>     the blind-index key; changing it means recomputing every index\n";

int oak_keyfile_generate(const char *path, char *err, size_t errlen)
{
    char dkey[HEX_LEN + 1], ikey[HEX_LEN + 1];
    char *text = NULL;
    size_t cap = 0;
    int fd = -1, n, rc = OAK_ERROR;

    if (!path || !*path) {
        snprintf(err, errlen, "no key file given");
        return OAK_EINVAL;
    }
    text = secret_alloc(sizeof header + 2 * HEX_LEN + 64, &cap);
    if (!text) {
        snprintf(err, errlen, "key file %s: out of memory", path);
        return OAK_ENOMEM;
    }
    if (random_hex_key(dkey) < 0 || random_hex_key(ikey) < 0) {
        snprintf(err, errlen, "key file %s: no random bytes from OpenSSL", path);
        goto out;
    }
    n = snprintf(text, cap, "%skey k1 %s\ncurrent k1\nindex %s\n", header, dkey, ikey);
    if (n < 0 || (size_t)n >= cap)
        goto out;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        if (errno == EEXIST) {
            snprintf(err, errlen, "key file %s already exists; not overwriting it", path);
            rc = OAK_EEXIST;
        } else {
            snprintf(err, errlen, "cannot create key file %s: %s", path, strerror(errno));
            rc = OAK_EIO;
        }
        goto out;
    }
    if (fchmod(fd, 0600) < 0 || write_all(fd, text, (size_t)n) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
        unlink(path);
        rc = OAK_EIO;
        goto out;
    }
    n = close(fd);
    fd = -1;
    if (n < 0) {
        snprintf(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
        unlink(path);
        rc = OAK_EIO;
        goto out;
    }
    if (oak_fsync_dir_of(path) < 0) {
        snprintf(err, errlen, "key file %s written, but syncing its directory failed: %s", path,
                 strerror(errno));
        rc = OAK_EIO;
        goto out;
    }
    rc = OAK_OK;
out:
    if (fd >= 0)
        close(fd);
    OPENSSL_cleanse(dkey, sizeof dkey);
    OPENSSL_cleanse(ikey, sizeof ikey);
    secret_free(text, cap);
    return rc;
}

/* The next "k<N>" id: one past the largest N in use, skipping taken ids. */
static void next_id(const struct oak_keyring *kr, char out[OAK_KEY_ID_MAX + 1])
{
    unsigned long max = 0;
    size_t i;

    for (i = 0; i < kr->nkeys; i++) {
        const char *id = kr->s->keys[i].id;
        char *endp;
        unsigned long v;

        if (id[0] != 'k' || id[1] < '0' || id[1] > '9' || strlen(id) > 10)
            continue;
        v = strtoul(id + 1, &endp, 10);
        if (*endp == '\0' && v > max)
            max = v;
    }
    do
        snprintf(out, OAK_KEY_ID_MAX + 1, "k%lu", ++max);
    while (find_key(kr, out));
}

int oak_keyfile_add_key(const char *path, char *new_id_out, size_t idlen, char *err, size_t errlen)
{
    struct oak_keyring *kr = NULL;
    struct line_span cur = { 0, 0 };
    char tmp[4096], id[OAK_KEY_ID_MAX + 1], hex[HEX_LEN + 1];
    char *old = NULL, *text = NULL;
    size_t old_len = 0, old_cap = 0, cap = 0, n;
    int fd, rc = OAK_ERROR, m;

    if (!path || !*path || (new_id_out && idlen < OAK_KEY_ID_MAX + 1)) {
        snprintf(err, errlen, "key file: bad arguments");
        return OAK_EINVAL;
    }
    if (snprintf(tmp, sizeof tmp, "%s.new", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "key file %s: path too long", path);
        return OAK_EINVAL;
    }
    /* Created before the old file is read, so two concurrent changes
     * cannot both start from the same contents. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            snprintf(err, errlen, "%s exists: another key change is running, or one was interrupted "
                     "(then remove %s and retry)", tmp, tmp);
        else
            snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return errno == EEXIST ? OAK_EBUSY : OAK_EIO;
    }
    rc = read_keyfile(path, &old, &old_len, &old_cap, err, errlen);
    if (rc != OAK_OK)
        goto out;
    rc = OAK_EINVAL;
    kr = parse(path, old, old_len, &cur, err, errlen);
    if (!kr)
        goto out;
    rc = OAK_ERROR;
    next_id(kr, id);
    if (random_hex_key(hex) < 0) {
        snprintf(err, errlen, "key file %s: no random bytes from OpenSSL", path);
        goto out;
    }
    text = secret_alloc(old_len + 2 * sizeof id + HEX_LEN + 32, &cap);
    if (!text) {
        snprintf(err, errlen, "key file %s: out of memory", path);
        rc = OAK_ENOMEM;
        goto out;
    }
    /* The new key and "current" take the place of the old "current" line. */
    memcpy(text, old, cur.start);
    n = cur.start;
    m = snprintf(text + n, cap - n, "key %s %s\ncurrent %s\n", id, hex, id);
    if (m < 0 || (size_t)m >= cap - n)
        goto out;
    n += (size_t)m;
    memcpy(text + n, old + cur.end, old_len - cur.end);
    n += old_len - cur.end;
    if (fchmod(fd, 0600) < 0 || write_all(fd, text, n) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        rc = OAK_EIO;
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        rc = OAK_EIO;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = OAK_EIO;
        goto out;
    }
    if (new_id_out)
        snprintf(new_id_out, idlen, "%s", id);
    if (oak_fsync_dir_of(path) < 0) {
        snprintf(err, errlen, "key %s added to %s, but syncing its directory failed: %s", id, path,
                 strerror(errno));
        rc = OAK_EIO;
        goto done;
    }
    rc = OAK_OK;
    goto done;
out:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
done:
    OPENSSL_cleanse(hex, sizeof hex);
    secret_free(text, cap);
    secret_free(old, old_cap);
    oak_keyring_free(kr);
    return rc;
}

void *oak_keyring_derived(const struct oak_keyring *kr, void *(*make)(const struct oak_keyring *),
                          void (*free_fn)(void *))
{
    /* the cache is not part of the keyring's value: filling it is not a
     * change a const caller could see */
    struct oak_keyring *m = (struct oak_keyring *)kr;
    void *v;

    if (!kr)
        return NULL;
    pthread_mutex_lock(&m->lock);
    if (!m->derived && (m->derived = make(kr)) != NULL)
        m->derived_free = free_fn;
    v = m->derived;
    pthread_mutex_unlock(&m->lock);
    return v;
}
