#include "pgseed/util/time.h"

#include <ctime>

namespace pgseed::util {
namespace {
std::string format_utc(SystemTime time, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  char buffer[64];
  const std::size_t length = std::strftime(buffer, sizeof buffer, format, &parts);
  return std::string(buffer, length);
}
}  // namespace

std::string iso8601_utc(SystemTime time) { return format_utc(time, "%Y-%m-%dT%H:%M:%SZ"); }
std::string compact_utc(SystemTime time) { return format_utc(time, "%Y%m%dT%H%M%SZ"); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace pgseed::util
