/*
 * tests/fuzz/fuzz_corpus.c: libFuzzer target for one corpus reader, chosen at
 * build time (FUZZ_FORMAT: RNNKIT_CORPUS_TSV, _FASTTEXT, _TEXT or _DIR).
 * For DIR the input describes a small tree: NUL-separated pairs
 * "label/name" and file content, at most 8 files. Besides not crashing,
 * every row must hand out valid UTF-8 text and labels, each row's label
 * index must name its label, and malformed input may only fail with a
 * data error (never an argument or memory error on a tiny input).
 */
#include "fuzz_util.h"
#include <dirent.h>
#include <errno.h>
#include "rnnkit/corpus.h"

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=RNNKIT_CORPUS_..."
#endif

/* Removes root/<label>/<file> (the two levels make_tree creates). */
static void remove_tree(const char *root)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    char sub[600];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof sub, "%s/%s", root, e->d_name);
        DIR *d2 = opendir(sub);
        if (d2) {
            struct dirent *f;
            char leaf[900];
            while ((f = readdir(d2)))
                if (strcmp(f->d_name, ".") && strcmp(f->d_name, "..")) {
                    snprintf(leaf, sizeof leaf, "%s/%s", sub, f->d_name);
                    unlink(leaf);
                }
            closedir(d2);
            rmdir(sub);
        } else {
            unlink(sub);
        }
    }
    closedir(d);
    rmdir(root);
}

static const char *make_tree(const uint8_t *data, size_t size)
{
    static char root[300];
    snprintf(root, sizeof root, "%s/tree", fuzz_tmpdir());
    remove_tree(root);
    if (mkdir(root, 0700) != 0)
        abort();
    size_t i = 0;
    for (int f = 0; f < 8 && i < size; f++) {
        /* the "label/name" part: bytes up to NUL, '/' splits label from name */
        char label[64] = "", name[64] = "";
        size_t nl = 0, nn = 0;
        int in_name = 0;
        for (; i < size && data[i]; i++) {
            char ch = (char)data[i];
            if (ch == '/' && !in_name) {
                in_name = 1;
                continue;
            }
            if (ch == '/')
                ch = '_';
            if (!in_name && nl < sizeof label - 1)
                label[nl++] = ch;
            else if (in_name && nn < sizeof name - 1)
                name[nn++] = ch;
        }
        i++; /* the NUL */
        size_t start = i;
        while (i < size && data[i])
            i++;
        size_t clen = i - start;
        i++;
        if (!nl || !strcmp(label, ".") || !strcmp(label, ".."))
            snprintf(label, sizeof label, "l%d", f & 1);
        if (!nn || !strcmp(name, ".") || !strcmp(name, ".."))
            snprintf(name, sizeof name, "f%d", f);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, label);
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            continue; /* a name the file system refuses */
        snprintf(path, sizeof path, "%s/%s/%s", root, label, name);
        FILE *fp = fopen(path, "wb");
        if (!fp)
            continue;
        if (clen)
            fwrite(data + start, 1, clen, fp);
        fclose(fp);
    }
    return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rnnkit_corpus_options opt = {.format = FUZZ_FORMAT, .skip_bad = 0, .labelled = 1};
    const char *path;
    if (FUZZ_FORMAT == RNNKIT_CORPUS_DIR) {
        path = make_tree(data, size);
    } else {
        if (size && (data[0] & 1)) { /* half the time: --skip-bad */
            opt.skip_bad = 1;
        }
        path = fuzz_write_file("in.txt", data, size);
    }
    if (FUZZ_FORMAT == RNNKIT_CORPUS_TEXT)
        opt.labelled = 0;
    for (int pass = 0; pass < 2; pass++) {
        rnnkit_corpus *c = NULL;
        rnnkit_error err;
        rnnkit_status st = rnnkit_corpus_load(path, &opt, &c, &err);
        if (st != RNNKIT_OK) {
            if (c || st == RNNKIT_ERR_ARG || !err.msg[0])
                abort();
        } else {
            size_t n = rnnkit_corpus_size(c), K = rnnkit_corpus_num_labels(c);
            if (n == 0)
                abort(); /* an empty corpus is an error, not a success */
            for (size_t i = 0; i < n; i++) {
                size_t len;
                const char *t = rnnkit_corpus_text(c, i, &len);
                if (!t || !fuzz_valid_utf8(t, len) || memchr(t, 0, len))
                    abort();
                const char *lab = rnnkit_corpus_label(c, i);
                int64_t k = rnnkit_corpus_label_index(c, i);
                if (opt.labelled && (!lab || !*lab || k < 0 || (size_t)k >= K))
                    abort();
                if (lab && (!fuzz_valid_utf8(lab, strlen(lab)) || strcmp(lab, rnnkit_corpus_label_name(c, (size_t)k))))
                    abort();
                if (!rnnkit_corpus_where(c, i))
                    abort();
            }
            rnnkit_corpus_free(c);
        }
        if (FUZZ_FORMAT != RNNKIT_CORPUS_TSV && FUZZ_FORMAT != RNNKIT_CORPUS_FASTTEXT)
            break;
        opt.labelled = 0; /* second pass: labels optional */
    }
    return 0;
}
