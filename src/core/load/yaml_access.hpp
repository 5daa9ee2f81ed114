#pragma once
// Typed, position-aware reading of a yaml-cpp tree, shared by the three loaders. Every
// accessor either returns a valid value or throws InputError with file, line, column, the
// dotted key and "expected X, got Y" (SPEC section 2, Invalid input).

#include <yaml-cpp/yaml.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model/diagnostic.hpp"
#include "core/model/types.hpp"
#include "util/result.hpp"

namespace stagehand::core::yaml {

// The file being loaded: its name and lines, to build Diagnostics with a caret line.
class Source {
  public:
    Source(std::string_view text, std::string file);

    const std::string& file() const { return m_file; }
    // yaml-cpp marks are 0-based; ours are 1-based. A null mark gives line 0 (no position).
    SourceMark mark(const YAML::Mark& mark) const;
    // Line `line` (1-based) with tabs shown as spaces so the caret lines up; "" if none.
    std::string line(int line) const;
    [[noreturn]] void fail(const SourceMark& at, const std::string& key,
                           const std::string& message) const;
    // Parses the text as exactly one YAML document (an empty file gives a Null node).
    // Syntax errors and extra documents throw InputError.
    YAML::Node parse(std::string_view text) const;

  private:
    // Throws InputError when `text` holds more than one document, or when yaml-cpp's parser
    // stops advancing (it would otherwise report endless empty documents).
    void check_single_document(const std::string& text) const;
    // `at`, or the end of the last non-empty line when `at` is on an empty line.
    SourceMark end_of_text(const SourceMark& at) const;

    std::string m_file;
    std::vector<std::string> m_lines;
};

// `text` as an absolute path without "." or ".." components, with repeated and trailing '/'
// removed ("/opt//app/" -> "/opt/app"); the error says which rule failed.
util::Result<std::string> normalise_absolute_path(std::string_view text);

// "nothing", "a list", "a map" or the quoted scalar (cut short), for "got ..." messages.
std::string describe_found(const YAML::Node& node);

// "one of adaptive, sleep, none" (names with spaces are quoted).
std::string one_of(const std::vector<std::string>& names);

template <class E>
struct Choice {
    std::string_view name;
    E value;
};

class MapReader;

// One value in the tree with its dotted key ("startup.per_service.kafka.need") and position.
class Field {
  public:
    Field(const Source& source, YAML::Node node, std::string key, SourceMark at);

    const std::string& key() const { return m_key; }
    const YAML::Node& node() const { return m_node; }
    const SourceMark& mark() const { return m_at; }
    const Source& source() const { return *m_source; }
    bool is_null() const { return !m_node || m_node.IsNull(); }
    // True for '...' / "..." scalars and explicit !!str; plain scalars are false.
    bool is_quoted() const;

    [[noreturn]] void fail(const std::string& message) const;
    // The scalar text; anything else fails with "expected <what>, got ...".
    std::string scalar(const std::string& what) const;
    std::string string() const;  // a non-empty scalar
    bool boolean() const;        // true | false (YAML 1.2, as compose reads it)
    long long integer(long long min, long long max) const;
    double number(double min, double max) const;
    Millis duration(Millis min) const;  // parse_duration, at least `min`
    Bytes size() const;                 // parse_size
    MemoryAmount memory_amount() const;
    double percentage(double min, double max) const;  // parse_percentage, within [min, max]
    // An absolute path without "." or ".." components; repeated and trailing '/' removed.
    std::string absolute_path() const;
    // Items of a list (null: none); a scalar or map fails. Keys are "key[i]".
    std::vector<Field> list() const;
    // The entries of a map (null: none). `known` empty: any key is allowed.
    MapReader map(std::vector<std::string> known) const;

    template <class E>
    E choice(std::span<const Choice<E>> choices) const;

  private:
    [[noreturn]] void fail_choice(const std::vector<std::string>& names) const;

    const Source* m_source;
    YAML::Node m_node;
    std::string m_key;
    SourceMark m_at;
};

// A map's entries in file order, with YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`)
// applied: explicit keys win over merged ones, earlier merge sources over later ones.
// Fails on duplicate keys, non-scalar keys and (when `known` is not empty) unknown keys,
// suggesting the closest known key.
class MapReader {
  public:
    struct Entry {
        std::string name;
        SourceMark key_mark;
        Field value;
    };

    MapReader(const Field& map, const std::vector<std::string>& known);

    std::optional<Field> get(std::string_view name) const;
    // Fails "required key `name` is missing" at the map when absent.
    Field require(std::string_view name) const;
    const std::vector<Entry>& entries() const& { return m_entries; }
    // Deleted: `for (auto& e : field.map({}).entries())` would iterate a destroyed reader.
    const std::vector<Entry>& entries() const&& = delete;
    const Field& self() const { return m_self; }

  private:
    void collect(const YAML::Node& node, bool merged, int depth, std::size_t& budget);
    void add(const YAML::Node& key, const YAML::Node& value, bool merged);

    Field m_self;
    std::vector<Entry> m_entries;
    std::vector<bool> m_merged;  // parallel to m_entries: came from a `<<` source
    std::unordered_map<std::string, std::size_t> m_index;  // name -> m_entries index
};

template <class E>
E Field::choice(std::span<const Choice<E>> choices) const {
    std::vector<std::string> names;
    for (const auto& c : choices) {
        names.emplace_back(c.name);
    }
    std::string text = scalar(one_of(names));
    for (const auto& c : choices) {
        if (c.name == text) {
            return c.value;
        }
    }
    fail_choice(names);
}

}  // namespace stagehand::core::yaml
