#include "engine/hash.h"

#include <xxhash.h>

#include <cstdio>
#include <vector>

#include "engine/error.h"

namespace pipe {

namespace {
std::string hex(XXH128_hash_t h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}
}  // namespace

std::string hash_bytes(const void* data, size_t size) { return hex(XXH3_128bits(data, size)); }

std::string hash_string(const std::string& s) { return hash_bytes(s.data(), s.size()); }

std::string canonical(const nlohmann::json& value) {
  // nlohmann::json keeps objects in a std::map (sorted keys) and prints
  // doubles in their shortest round-trip form.
  return value.dump();
}

std::string Fingerprinter::path(const std::string& p) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = memo_.find(p);
    if (it != memo_.end()) return it->second;
  }
  FileStat st;
  if (!disk_.stat(p, &st)) throw ConfigError("no such file or folder").at(p);
  std::string h = st.is_dir ? tree(p) : file(p, st);
  std::lock_guard<std::mutex> lock(mu_);
  memo_[p] = h;
  return h;
}

std::string Fingerprinter::file(const std::string& p, const FileStat& st) {
  std::string h;
  if (cache_ && cache_->lookup(p, st, &h)) return h;
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) throw Error("cannot read").at(p);
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) XXH3_128bits_update(state, buf.data(), n);
  std::fclose(f);
  h = hex(XXH3_128bits_digest(state));
  XXH3_freeState(state);
  if (cache_) cache_->remember(p, st, h);
  return h;
}

std::string Fingerprinter::tree(const std::string& dir) {
  // Hash of "name\0hash\0" over the sorted entries, recursively.
  std::string listing;
  for (const auto& name : disk_.list_dir(dir)) {
    std::string child = dir + "/" + name;
    FileStat st;
    if (!disk_.stat(child, &st)) continue;  // vanished or dangling symlink
    listing += name;
    listing += '\0';
    listing += st.is_dir ? tree(child) : file(child, st);
    listing += '\0';
  }
  return hash_string(listing);
}

}  // namespace pipe
