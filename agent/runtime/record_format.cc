#include "agent/runtime/record_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth::agent::runtime {
namespace {

char* AppendString(char* p, const char* s) {
  while (*s != '\0') {
    *p++ = *s++;
  }
  return p;
}

}  // namespace

char* AppendDecimal(char* p, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    *p++ = digits[--n];
  }
  return p;
}

size_t FormatIdentityRecord(char* buf, ProcessId id) {
  char* p = AppendDecimal(buf, static_cast<uint64_t>(id.pid));
  *p++ = ' ';
  p = AppendDecimal(p, id.start_time);
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

size_t FormatExitRecord(char* buf, int si_code, int status, int64_t unix_nanos) {
  const char* kind = si_code == CLD_EXITED ? "exited " : si_code == CLD_DUMPED ? "dumped " : "killed ";
  char* p = AppendString(buf, kind);
  p = AppendDecimal(p, static_cast<uint64_t>(status < 0 ? 0 : status));
  *p++ = ' ';
  p = AppendDecimal(p, static_cast<uint64_t>(unix_nanos < 0 ? 0 : unix_nanos));
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

bool WriteRecordAt(int dirfd, const char* name, const char* data, size_t len) {
  char tmp[32];
  size_t n = strlen(name);
  if (n + sizeof(kRecordTempSuffix) > sizeof(tmp)) {
    errno = ENAMETOOLONG;
    return false;
  }
  memcpy(tmp, name, n);
  memcpy(tmp + n, kRecordTempSuffix, sizeof(kRecordTempSuffix));
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return false;
  }
  ssize_t w = write(fd, data, len);
  int err = errno;
  close(fd);
  if (w != static_cast<ssize_t>(len)) {
    errno = w < 0 ? err : EIO;
    return false;
  }
  return renameat(dirfd, tmp, dirfd, name) == 0;
}

bool ParseStatStartTime(const char* data, size_t len, uint64_t* out) {
  size_t close = len;
  for (size_t i = len; i > 0; --i) {
    if (data[i - 1] == ')') {
      close = i - 1;
      break;
    }
  }
  if (close == len) {
    return false;
  }
  // After ") " comes field 3 (state); field 22 is 19 fields further on.
  size_t i = close + 1;
  int field = 2;
  while (i < len && field < 22) {
    if (data[i] == ' ') {
      ++field;
    }
    ++i;
  }
  if (field != 22 || i >= len || data[i] < '0' || data[i] > '9') {
    return false;
  }
  uint64_t v = 0;
  for (; i < len && data[i] >= '0' && data[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(data[i] - '0');
  }
  if (i < len && data[i] != ' ' && data[i] != '\n') {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace berth::agent::runtime
