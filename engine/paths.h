// Path helpers over std::filesystem, as strings.
#pragma once

#include <string>

namespace pipe {

std::string absolute_path(const std::string& path);  // lexically normal, absolute
std::string parent_dir(const std::string& path);
std::string join_path(const std::string& dir, const std::string& rel);  // rel if absolute
// `path` resolved against `base_dir` unless absolute, then made absolute.
std::string resolve_path(const std::string& base_dir, const std::string& path);
// A shorter form for messages: relative to the current directory when inside it.
std::string display_path(const std::string& path);
std::string file_stem(const std::string& path);

}  // namespace pipe
