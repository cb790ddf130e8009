#include "report/markdown.h"

#include <set>

namespace pipe::report {

namespace {

// Keeps text from being read as Markdown markup.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '_' || c == '`' || c == '|' || c == '<' || c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

// A file name not used yet: "name.png", else "name_2.png", ...
std::string unique_png(const std::string& stem, std::set<std::string>* used) {
  std::string base = stem.empty() ? "figure" : stem;
  std::string name = base + ".png";
  for (int k = 2; used->count(name); ++k) name = base + "_" + std::to_string(k) + ".png";
  used->insert(name);
  return name;
}

}  // namespace

std::string markdown_document(const Report& r, std::vector<ReportFile>* files) {
  std::set<std::string> used;
  std::string out = "# " + escape(r.title) + "\n\n";
  if (!r.subtitle.empty()) out += "*" + escape(r.subtitle) + "*\n\n";
  for (const auto& s : r.sections) {
    out += "## " + escape(s.title) + "\n\n";
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::kText: out += escape(b.text) + "\n\n"; break;
        case Block::Kind::kNote: out += "> **Note:** " + escape(b.text) + "\n\n"; break;
        case Block::Kind::kKeyValues:
          for (const auto& [k, v] : b.pairs) out += "- **" + escape(k) + "**: " + escape(v) + "\n";
          out += "\n";
          break;
        case Block::Kind::kTable:
          if (!b.text.empty()) out += "*" + escape(b.text) + "*\n\n";
          out += render_markdown(b.table) + "\n";
          break;
        case Block::Kind::kFigure:
        case Block::Kind::kImage: {
          std::string name = unique_png(b.name, &used);
          Figure f = b.kind == Block::Kind::kFigure ? b.figure : image_figure(b.image);
          files->push_back({name, f.png()});
          out += "![" + escape(b.text.empty() ? b.name : b.text) + "](" + name + ")\n\n";
          if (!b.text.empty()) out += "*" + escape(b.text) + "*\n\n";
          break;
        }
      }
    }
  }
  return out;
}

std::string markdown_with_note(const std::string& md, const std::string& note) {
  std::string block = "> **Note:** " + escape(note) + "\n\n";
  size_t at = md.find("\n## ");
  if (at == std::string::npos) return md + "\n" + block;
  return md.substr(0, at + 1) + block + md.substr(at + 1);
}

}  // namespace pipe::report
