/* What glibc 2.28 lacks and a program made by `bale exe` needs: the runner is linked
 * for glibc 2.28 (scripts/build-runners.sh), while the objects it links (libpython)
 * and the native code in the bale were compiled on newer systems, against headers
 * that call functions added since. `bale exe` lowers each native file of the bale to
 * glibc 2.28 (crates/bale-glibc): what it took at a newer version it now takes
 * unversioned, and finds here what an old glibc does not define.
 *
 * These definitions are exported from the program (`--export-dynamic`), and the
 * dynamic loader looks in the program first, so they serve every loaded object on
 * every system, old or new. So each is a whole replacement, made of system calls
 * (whose numbers and structures x86-64 Linux keeps forever) rather than of glibc
 * functions whose versions differ between systems. */
#define _GNU_SOURCE
/* Built as C11 (build.rs): in C23 mode, newer headers turn `strtol` into
 * `__isoc23_strtol`, which would make the definitions below call themselves. Neither
 * <sys/stat.h> nor <fcntl.h>: older headers define `stat` inline there. */
#include <errno.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

long syscall(long number, ...);

#if !defined(__x86_64__)
#error "compat.c knows x86-64 Linux's system calls only"
#endif

/* The system call numbers of x86-64 Linux, which older headers may lack. */
#define NR_NEWFSTATAT 262
#define NR_FSTAT 5
#define NR_MKNODAT 259
#define NR_GETTID 186
#define NR_GETRANDOM 318
#define NR_CLOSE_RANGE 436
#define AT_CWD (-100)
#define AT_NOFOLLOW 0x100

/* glibc's librt in the program's scope: native code lowered to glibc 2.28 takes,
 * unversioned, what older glibcs keep there rather than in libc (`shm_open`,
 * `timer_create`), and the linker keeps only the libraries something refers to. */
int shm_open(const char *name, int flags, mode_t mode);
void *const bale_keep_librt = (void *)&shm_open;

/* ---- glibc 2.33: stat and friends as functions (before, inline wrappers of
 * __xstat). On x86-64 the kernel's `struct stat` is glibc's, and stat64 the same,
 * so the buffer goes to the kernel as it is. */

int stat(const char *path, void *buf) { return (int)syscall(NR_NEWFSTATAT, AT_CWD, path, buf, 0); }
int lstat(const char *path, void *buf) { return (int)syscall(NR_NEWFSTATAT, AT_CWD, path, buf, AT_NOFOLLOW); }
int fstat(int fd, void *buf) { return (int)syscall(NR_FSTAT, fd, buf); }
int fstatat(int dir, const char *path, void *buf, int flags) {
    return (int)syscall(NR_NEWFSTATAT, dir, path, buf, flags);
}
int stat64(const char *path, void *buf) { return stat(path, buf); }
int lstat64(const char *path, void *buf) { return lstat(path, buf); }
int fstat64(int fd, void *buf) { return fstat(fd, buf); }
int fstatat64(int dir, const char *path, void *buf, int flags) { return fstatat(dir, path, buf, flags); }
int mknodat(int dir, const char *path, mode_t mode, dev_t dev) {
    return (int)syscall(NR_MKNODAT, dir, path, mode, (unsigned int)dev);
}
int mknod(const char *path, mode_t mode, dev_t dev) { return mknodat(AT_CWD, path, mode, dev); }

/* ---- glibc 2.30 */

pid_t gettid(void) { return (pid_t)syscall(NR_GETTID); }

/* Waits on `sem` until `deadline` on `clock`: sem_timedwait takes the real-time
 * clock only, so a monotonic deadline becomes the real-time one as far ahead. */
int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *deadline) {
    if (clock == CLOCK_REALTIME) return sem_timedwait(sem, deadline);
    if (clock != CLOCK_MONOTONIC) {
        errno = EINVAL;
        return -1;
    }
    struct timespec now_clock, now_real;
    clock_gettime(CLOCK_MONOTONIC, &now_clock);
    clock_gettime(CLOCK_REALTIME, &now_real);
    long long left = (deadline->tv_sec - now_clock.tv_sec) * 1000000000LL + (deadline->tv_nsec - now_clock.tv_nsec);
    if (left < 0) left = 0;
    long long at = now_real.tv_nsec + left;
    struct timespec real = {now_real.tv_sec + (time_t)(at / 1000000000LL), (long)(at % 1000000000LL)};
    return sem_timedwait(sem, &real);
}

/* ---- glibc 2.29, 2.34: spawn actions an old glibc cannot perform: refused, as a
 * glibc without them would be by the caller's own fallback (CPython's subprocess
 * does not use them). */

int posix_spawn_file_actions_addchdir_np(void *actions, const char *path) {
    (void)actions, (void)path;
    return ENOSYS;
}
int posix_spawn_file_actions_addfchdir_np(void *actions, int fd) {
    (void)actions, (void)fd;
    return ENOSYS;
}
int posix_spawn_file_actions_addclosefrom_np(void *actions, int from) {
    (void)actions, (void)from;
    return ENOSYS;
}

/* ---- glibc 2.34 */

int close_range(unsigned int first, unsigned int last, int flags) {
    return (int)syscall(NR_CLOSE_RANGE, first, last, flags);
}

/* Closes every descriptor from `from` on; where the kernel lacks close_range (before
 * 5.9), one by one up to the limit of open files. */
void closefrom(int from) {
    if (from < 0) from = 0;
    if (close_range((unsigned int)from, ~0U, 0) == 0) return;
    long limit = sysconf(_SC_OPEN_MAX);
    for (long fd = from; fd < (limit > 0 ? limit : 65536); fd++) close((int)fd);
}

/* ---- glibc 2.36: random bytes from the kernel (getrandom, which never fails for
 * a request this size once the pool is ready, and waits until it is). */

void arc4random_buf(void *buffer, size_t length) {
    unsigned char *out = buffer;
    while (length > 0) {
        long got = syscall(NR_GETRANDOM, out, length, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            abort(); /* as glibc's does: no randomness is not a result */
        }
        out += got;
        length -= (size_t)got;
    }
}

uint32_t arc4random(void) {
    uint32_t value;
    arc4random_buf(&value, sizeof value);
    return value;
}

/* A uniform value below `bound`, without the bias of a plain modulo. */
uint32_t arc4random_uniform(uint32_t bound) {
    if (bound < 2) return 0;
    uint32_t floor = -bound % bound;
    for (;;) {
        uint32_t value = arc4random();
        if (value >= floor) return value % bound;
    }
}

/* ---- glibc 2.38 */

size_t strlcpy(char *dest, const char *src, size_t size) {
    size_t length = strlen(src);
    if (size > 0) {
        size_t n = length < size - 1 ? length : size - 1;
        memcpy(dest, src, n);
        dest[n] = '\0';
    }
    return length;
}

size_t strlcat(char *dest, const char *src, size_t size) {
    size_t used = strnlen(dest, size);
    if (used == size) return size + strlen(src);
    return used + strlcpy(dest + used, src, size - used);
}

/* C23's number parsing (also binary, `0b101`), which headers of glibc 2.38 and later
 * call for strtol and the scanf family: the classic functions, which read everything
 * but that prefix the same. Objects in the bale are renamed to the classic names by
 * `bale exe`; these serve what is linked into the runner itself. */
long __isoc23_strtol(const char *s, char **end, int base) { return strtol(s, end, base); }
long long __isoc23_strtoll(const char *s, char **end, int base) { return strtoll(s, end, base); }
unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return strtoul(s, end, base); }
unsigned long long __isoc23_strtoull(const char *s, char **end, int base) { return strtoull(s, end, base); }
long __isoc23_wcstol(const wchar_t *s, wchar_t **end, int base) { return wcstol(s, end, base); }
unsigned long __isoc23_wcstoul(const wchar_t *s, wchar_t **end, int base) { return wcstoul(s, end, base); }
int __isoc23_vsscanf(const char *s, const char *format, va_list args) { return vsscanf(s, format, args); }
int __isoc23_sscanf(const char *s, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = vsscanf(s, format, args);
    va_end(args);
    return n;
}
