/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus replay: runs every file of the given directories (or the given
 * files) through LLVMFuzzerTestOneInput once, so the seed corpus and any
 * saved crash reproducers are a regression suite in every build, with any
 * compiler and without libFuzzer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_format.h"

static int run_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        return -1;
    }
    uint8_t *data = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(data, cap);
            if (!grown) {
                fclose(file);
                free(data);
                return -1;
            }
            data = grown;
        }
        size_t got = fread(data + size, 1, cap - size, file);
        if (got == 0)
            break;
        size += got;
    }
    fclose(file);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int run_path(const char *path, unsigned *count)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    struct dirent **entries;
    int n = scandir(path, &entries, NULL, alphasort);
    if (n < 0) {
        perror(path);
        return -1;
    }
    int status = 0;
    for (int i = 0; i < n; i++) {
        char child[4096];
        if (entries[i]->d_name[0] != '.') {
            snprintf(child, sizeof(child), "%s/%s", path, entries[i]->d_name);
            if (stat(child, &st) == 0 && S_ISREG(st.st_mode)) {
                (*count)++;
                if (run_file(child) < 0)
                    status = -1;
            }
        }
        free(entries[i]);
    }
    free(entries);
    return status;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int status = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) < 0)
            status = 1;
    printf("replayed %u inputs\n", count);
    /* An empty corpus would make this test pass while testing nothing. */
    if (count == 0) {
        fprintf(stderr, "no inputs found\n");
        return 1;
    }
    return status;
}
