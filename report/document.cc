#include "report/document.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/error.h"
#include "report/html.h"
#include "report/markdown.h"

namespace pipe::report {

namespace fs = std::filesystem;

Section& Section::text(std::string paragraph) {
  Block b;
  b.kind = Block::Kind::kText;
  b.text = std::move(paragraph);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::note(std::string warning) {
  Block b;
  b.kind = Block::Kind::kNote;
  b.text = std::move(warning);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::key_values(std::vector<std::pair<std::string, std::string>> pairs) {
  Block b;
  b.kind = Block::Kind::kKeyValues;
  b.pairs = std::move(pairs);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::table(DataTable t, std::string caption) {
  Block b;
  b.kind = Block::Kind::kTable;
  b.table = std::move(t);
  b.text = std::move(caption);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::figure(std::string name, Figure f, std::string caption) {
  Block b;
  b.kind = Block::Kind::kFigure;
  b.name = std::move(name);
  b.figure = std::move(f);
  b.text = std::move(caption);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Section::image(std::string name, Image img, std::string caption) {
  Block b;
  b.kind = Block::Kind::kImage;
  b.name = std::move(name);
  b.image = std::move(img);
  b.text = std::move(caption);
  blocks.push_back(std::move(b));
  return *this;
}

Section& Report::section(std::string id, std::string title) {
  sections.push_back(Section{std::move(id), std::move(title), {}});
  return sections.back();
}

const Section* Report::find(const std::string& id) const {
  for (const auto& s : sections)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

void write_file(const fs::path& path, const std::string& bytes) {
  // Written beside, then renamed: a reader never sees half a report.
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw Error("cannot write report file").at(tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error("cannot write report file: " + ec.message()).at(path.string());
}

}  // namespace

std::vector<std::string> write_report(const Report& report, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create the report folder: " + ec.message()).at(dir);
  std::vector<std::string> written;
  std::vector<ReportFile> files;
  std::string md = markdown_document(report, &files);
  for (const auto& f : files) {
    write_file(fs::path(dir) / f.name, f.bytes);
    written.push_back((fs::path(dir) / f.name).string());
  }
  write_file(fs::path(dir) / "report.md", md);
  written.push_back((fs::path(dir) / "report.md").string());
  write_file(fs::path(dir) / "report.html", html_document(report));
  written.push_back((fs::path(dir) / "report.html").string());
  return written;
}

std::vector<std::string> copy_report(const std::string& from, const std::string& to, const std::string& note) {
  if (!fs::is_regular_file(fs::path(from) / "report.html"))
    throw Error("no report to copy: report.html is missing").at(from);
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) throw Error("cannot create the report folder: " + ec.message()).at(to);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(from, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  if (ec) throw Error("cannot list the report folder: " + ec.message()).at(from);
  // Figures first and the documents last, as write_report does: a reader
  // who finds report.html finds what it links to.
  auto is_document = [](const fs::path& p) { return p.extension() == ".html" || p.extension() == ".md"; };
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    return is_document(a) != is_document(b) ? is_document(b) : a.filename() < b.filename();
  });
  std::vector<std::string> written;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) throw Error("cannot read report file").at(f.string());
    std::string name = f.filename().string();
    if (!note.empty() && name == "report.html") bytes = html_with_note(bytes, note);
    if (!note.empty() && name == "report.md") bytes = markdown_with_note(bytes, note);
    write_file(fs::path(to) / name, bytes);
    written.push_back((fs::path(to) / name).string());
  }
  return written;
}

}  // namespace pipe::report
