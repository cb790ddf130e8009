// RFC 4180 quoting of one CSV field: quoted when it holds a comma, a quote or a
// line break, with quotes doubled.  Header-only: the engine's tables and the
// report's share it without a link dependency.
#pragma once

#include <string>

namespace pipe {

inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace pipe
