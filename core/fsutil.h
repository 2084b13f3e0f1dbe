/*
 * fsutil.h - durability helpers: fsync a file by path, and the directory
 * holding a path (so a rename into it survives power loss).
 */
#ifndef OAK_FSUTIL_H
#define OAK_FSUTIL_H

/* 0, or -1 with errno set. */
int oak_fsync_path(const char *path);
int oak_fsync_dir_of(const char *path);

#endif
