/*
 * A stand-in for libnccl.so.2 on machines without a GPU, for tests of the program's NCCL calls: the
 * same exported functions and argument types as nccl.h, working on host memory. Ranks meet through
 * files: the unique id holds the path of a folder made under $FAKE_NCCL_DIR, so a wrongly passed id
 * (it goes by value, 128 bytes) names no folder and ncclCommInitRank fails. Each collective writes
 * this rank's buffer as <folder>/<call>.<rank> and waits for the others' files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct { char internal[128]; } ncclUniqueId;
typedef struct { char folder[128]; int nranks, rank; long calls; } fakeComm;
typedef fakeComm *ncclComm_t;
enum { ok = 0, systemError = 2, invalidArgument = 4, invalidUsage = 5 };

static size_t typeSize(int type) {
  switch (type) {
    case 0: case 1: return 1;
    case 2: case 3: case 7: return 4;
    case 4: case 5: case 8: return 8;
    default: return 0; /* half and bfloat16 are not summed here */
  }
}

int ncclGetVersion(int *version) { *version = 99999; return ok; }

const char *ncclGetErrorString(int result) {
  switch (result) {
    case ok: return "no error";
    case systemError: return "fake NCCL: a file operation failed";
    case invalidArgument: return "fake NCCL: invalid argument (an id that names no folder, or an unknown type)";
    default: return "fake NCCL: error";
  }
}

int ncclGetUniqueId(ncclUniqueId *id) {
  const char *base = getenv("FAKE_NCCL_DIR");
  memset(id, 0, sizeof *id);
  snprintf(id->internal, sizeof id->internal, "%s/run-XXXXXX", base ? base : "/tmp");
  return mkdtemp(id->internal) ? ok : systemError;
}

int ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank) {
  struct stat st;
  if (memchr(id.internal, 0, sizeof id.internal) == NULL || stat(id.internal, &st) != 0 || !S_ISDIR(st.st_mode)) return invalidArgument;
  if (nranks < 1 || rank < 0 || rank >= nranks) return invalidArgument;
  fakeComm *c = calloc(1, sizeof *c);
  memcpy(c->folder, id.internal, sizeof c->folder);
  c->nranks = nranks;
  c->rank = rank;
  *comm = c;
  return ok;
}

static int put(fakeComm *c, long call, int rank, const void *data, size_t bytes) {
  char path[256], temp[272];
  snprintf(path, sizeof path, "%s/%ld.%d", c->folder, call, rank);
  snprintf(temp, sizeof temp, "%s.tmp", path);
  FILE *f = fopen(temp, "wb");
  if (!f || fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) return systemError;
  return rename(temp, path) == 0 ? ok : systemError;
}

static int get(fakeComm *c, long call, int rank, void *data, size_t bytes) {
  char path[256];
  snprintf(path, sizeof path, "%s/%ld.%d", c->folder, call, rank);
  FILE *f;
  while ((f = fopen(path, "rb")) == NULL) {
    if (errno != ENOENT) return systemError;
    usleep(1000);
  }
  size_t got = fread(data, 1, bytes, f);
  fclose(f);
  return got == bytes ? ok : systemError;
}

int ncclAllReduce(const void *send, void *recv, size_t count, int type, int op, ncclComm_t c, void *stream) {
  size_t size = typeSize(type), bytes = count * size;
  if (size == 0 || op != 0) return invalidArgument;
  long call = ++c->calls;
  int r = put(c, call, c->rank, send, bytes);
  if (r != ok) return r;
  unsigned char *sum = calloc(bytes ? bytes : 1, 1), *part = malloc(bytes ? bytes : 1);
  for (int rank = 0; rank < c->nranks && r == ok; rank++) {
    if ((r = get(c, call, rank, part, bytes)) != ok) break;
    for (size_t i = 0; i < count; i++)
      switch (type) {
        case 0: ((int8_t *)sum)[i] += ((int8_t *)part)[i]; break;
        case 1: sum[i] += part[i]; break;
        case 2: ((int32_t *)sum)[i] += ((int32_t *)part)[i]; break;
        case 3: ((uint32_t *)sum)[i] += ((uint32_t *)part)[i]; break;
        case 4: ((int64_t *)sum)[i] += ((int64_t *)part)[i]; break;
        case 5: ((uint64_t *)sum)[i] += ((uint64_t *)part)[i]; break;
        case 7: ((float *)sum)[i] += ((float *)part)[i]; break;
        case 8: ((double *)sum)[i] += ((double *)part)[i]; break;
      }
  }
  if (r == ok) memcpy(recv, sum, bytes);
  free(sum);
  free(part);
  return r;
}

int ncclBroadcast(const void *send, void *recv, size_t count, int type, int root, ncclComm_t c, void *stream) {
  size_t size = typeSize(type);
  if (size == 0 || root < 0 || root >= c->nranks) return invalidArgument;
  long call = ++c->calls;
  if (c->rank == root) {
    if (send != recv) memmove(recv, send, count * size);
    return put(c, call, root, send, count * size);
  }
  return get(c, call, root, recv, count * size);
}

int ncclCommAbort(ncclComm_t c) { free(c); return ok; }
int ncclCommDestroy(ncclComm_t c) { free(c); return ok; }
