#include "core/load/yaml_access.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "core/load/suggest.hpp"
#include "core/load/units.hpp"
#include "util/text.hpp"

namespace stagehand::core::yaml {
namespace {

constexpr int k_max_merge_depth = 32;
// Merge keys can reference each other to build exponentially large maps ("billion laughs");
// no real file comes near this many entries in one map.
constexpr std::size_t k_max_map_entries = 20000;
constexpr std::size_t k_max_shown = 60;

}  // namespace

util::Result<std::string> normalise_absolute_path(std::string_view text) {
    std::string shown = "\"" + std::string(text.substr(0, k_max_shown)) + "\"";
    if (text.empty() || text.front() != '/') {
        return util::Error{"expected an absolute path (starting with /), got " + shown};
    }
    if (text.find('\0') != std::string_view::npos) {
        return util::Error{"a path cannot contain a NUL character"};
    }
    std::string out;
    std::size_t start = 1;
    while (start <= text.size()) {
        std::size_t end = std::min(text.find('/', start), text.size());
        std::string_view part = text.substr(start, end - start);
        if (part == "." || part == "..") {
            return util::Error{
                "expected a normalised path without \".\" or \"..\" components, got " + shown};
        }
        if (!part.empty()) {
            out += "/" + std::string(part);
        }
        start = end + 1;
    }
    return out.empty() ? std::string("/") : out;
}

std::string describe_found(const YAML::Node& node) {
    if (!node || node.IsNull()) {
        return "nothing";
    }
    if (node.IsSequence()) {
        return "a list";
    }
    if (node.IsMap()) {
        return "a map";
    }
    const std::string& text = node.Scalar();
    if (text.size() > k_max_shown) {
        return "\"" + text.substr(0, k_max_shown) + "...\"";
    }
    return "\"" + text + "\"";
}

std::string one_of(const std::vector<std::string>& names) {
    std::vector<std::string> shown;
    for (const auto& n : names) {
        shown.push_back(n.find(' ') == std::string::npos ? n : "\"" + n + "\"");
    }
    return "one of " + util::join(shown, ", ");
}

Field::Field(const Source& source, YAML::Node node, std::string key, SourceMark at)
    : m_source(&source), m_node(std::move(node)), m_key(std::move(key)), m_at(std::move(at)) {}

bool Field::is_quoted() const {
    const std::string& tag = m_node.Tag();
    return tag == "!" || tag == "tag:yaml.org,2002:str";
}

void Field::fail(const std::string& message) const {
    m_source->fail(m_at, m_key, message);
}

std::string Field::scalar(const std::string& what) const {
    if (is_null() || !m_node.IsScalar()) {
        fail("expected " + what + ", got " + describe_found(m_node));
    }
    return m_node.Scalar();
}

std::string Field::string() const {
    std::string text = scalar("a string");
    if (text.empty()) {
        fail("expected a non-empty string, got \"\"");
    }
    return text;
}

bool Field::boolean() const {
    std::string text = scalar("true or false");
    if (text == "true" || text == "True" || text == "TRUE") {
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        return false;
    }
    fail("expected true or false, got " + describe_found(m_node));
}

long long Field::integer(long long min, long long max) const {
    std::string text = scalar("an integer");
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
        fail("integer " + describe_found(m_node) + " is out of range");
    }
    if (ec != std::errc() || end != text.data() + text.size()) {
        fail("expected an integer, got " + describe_found(m_node));
    }
    if (value < min || value > max) {
        std::string range = max == std::numeric_limits<long long>::max()
                                ? ">= " + std::to_string(min)
                                : "between " + std::to_string(min) + " and " + std::to_string(max);
        fail("expected an integer " + range + ", got " + text);
    }
    return value;
}

double Field::number(double min, double max) const {
    std::string text = scalar("a number");
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        fail("expected a number, got " + describe_found(m_node));
    }
    if (value < min || value > max) {
        fail("expected a number between " + std::to_string(static_cast<long long>(min)) + " and " +
             std::to_string(static_cast<long long>(max)) + ", got " + text);
    }
    return value;
}

Millis Field::duration(Millis min) const {
    auto parsed = parse_duration(scalar("a duration like 500ms, 10s, 5m or 1h"));
    if (!parsed) {
        fail(parsed.error().message);
    }
    if (*parsed < min) {
        fail(min == Millis{1}
                 ? "expected a duration greater than zero, got " + describe_found(m_node)
                 : "expected a duration of at least " + format_duration(min) + ", got " +
                       describe_found(m_node));
    }
    return *parsed;
}

Bytes Field::size() const {
    auto parsed = parse_size(scalar("a size like 512MiB or 1GiB"));
    if (!parsed) {
        fail(parsed.error().message);
    }
    return *parsed;
}

MemoryAmount Field::memory_amount() const {
    auto parsed = parse_memory_amount(scalar("a size like 512MiB or a percentage like 10%"));
    if (!parsed) {
        fail(parsed.error().message);
    }
    return *parsed;
}

double Field::percentage(double min, double max) const {
    auto parsed = parse_percentage(scalar("a percentage like 10%"));
    if (!parsed) {
        fail(parsed.error().message);
    }
    if (*parsed < min || *parsed > max) {
        fail(std::string("expected a percentage ") +
             (min > 0 ? "above 0% and at most " : "between 0% and ") +
             std::to_string(static_cast<int>(max)) + "%, got " + describe_found(m_node));
    }
    return *parsed;
}

std::string Field::absolute_path() const {
    auto path = normalise_absolute_path(string());
    if (!path) {
        fail(path.error().message);
    }
    return *path;
}

std::vector<Field> Field::list() const {
    std::vector<Field> items;
    if (is_null()) {
        return items;
    }
    if (!m_node.IsSequence()) {
        fail("expected a list, got " + describe_found(m_node));
    }
    std::size_t index = 0;
    for (const auto& item : m_node) {
        SourceMark at = m_source->mark(item.Mark());
        items.emplace_back(*m_source, item, m_key + "[" + std::to_string(index++) + "]",
                           at.line > 0 ? at : m_at);
    }
    return items;
}

MapReader Field::map(std::vector<std::string> known) const {
    return MapReader(*this, known);
}

void Field::fail_choice(const std::vector<std::string>& names) const {
    fail("expected " + one_of(names) + ", got " + describe_found(m_node) +
         did_you_mean(m_node.Scalar(), names));
}

MapReader::MapReader(const Field& map, const std::vector<std::string>& known) : m_self(map) {
    if (map.is_null()) {
        return;
    }
    if (!map.node().IsMap()) {
        map.fail("expected a map, got " + describe_found(map.node()));
    }
    std::size_t budget = k_max_map_entries;
    collect(map.node(), false, 0, budget);
    if (known.empty()) {
        return;
    }
    for (const auto& entry : m_entries) {
        if (std::find(known.begin(), known.end(), entry.name) == known.end()) {
            std::string hint = did_you_mean(entry.name, known);
            m_self.source().fail(
                entry.key_mark, entry.value.key(),
                "unknown key `" + entry.name + "`" +
                    (hint.empty() ? "; valid keys: " + util::join(known, ", ") : hint));
        }
    }
}

void MapReader::collect(const YAML::Node& node, bool merged, int depth, std::size_t& budget) {
    const Source& source = m_self.source();
    if (depth > k_max_merge_depth) {
        source.fail(source.mark(node.Mark()), m_self.key(), "merge keys (<<) nest too deep");
    }
    // Merge sources are applied after the explicit keys, which win over them.
    std::vector<std::pair<YAML::Node, YAML::Node>> sources;  // (`<<` key, value)
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (budget == 0) {
            source.fail(m_self.mark(), m_self.key(), "map has too many entries (merge keys?)");
        }
        --budget;
        // Copies: yaml-cpp's operator-> returns a temporary pair, so a reference to
        // it->first dangles at the end of the statement (found by fuzz_appspec under ASan).
        YAML::Node key = it->first;
        YAML::Node value = it->second;
        if (key.IsScalar() && key.Scalar() == "<<" && key.Tag() == "?") {
            sources.emplace_back(key, value);
        } else {
            add(key, value, merged);
        }
    }
    for (const auto& [key, merge] : sources) {
        // An alias has the mark of its anchor; the `<<` line is where the mistake is.
        SourceMark at = source.mark(key.Mark());
        auto not_a_map = [&](const YAML::Node& found) {
            source.fail(
                at, m_self.key(),
                "a merge key (<<) takes a map or a list of maps, got " + describe_found(found));
        };
        if (merge.IsMap()) {
            collect(merge, true, depth + 1, budget);
            continue;
        }
        if (!merge.IsSequence()) {
            not_a_map(merge);
        }
        for (const auto& item : merge) {
            if (!item.IsMap()) {
                not_a_map(item);
            }
            collect(item, true, depth + 1, budget);
        }
    }
}

void MapReader::add(const YAML::Node& key, const YAML::Node& value, bool merged) {
    const Source& source = m_self.source();
    SourceMark key_mark = source.mark(key.Mark());
    if (key_mark.line == 0) {
        key_mark = m_self.mark();
    }
    if (!key.IsScalar()) {
        source.fail(key_mark, m_self.key(), "expected a plain key, got " + describe_found(key));
    }
    const std::string& name = key.Scalar();
    std::string dotted = m_self.key().empty() ? name : m_self.key() + "." + name;
    SourceMark value_mark = source.mark(value.Mark());
    Field field(source, value, dotted,
                value.IsNull() || value_mark.line == 0 ? key_mark : value_mark);
    auto [it, inserted] = m_index.try_emplace(name, m_entries.size());
    if (!inserted) {
        // collect() adds explicit keys before merged ones, so the first one seen wins.
        if (!merged && !m_merged[it->second]) {
            source.fail(key_mark, dotted,
                        "duplicate key `" + name + "` (first at line " +
                            std::to_string(m_entries[it->second].key_mark.line) + ")");
        }
        return;
    }
    m_entries.push_back(Entry{name, key_mark, std::move(field)});
    m_merged.push_back(merged);
}

std::optional<Field> MapReader::get(std::string_view name) const {
    auto it = m_index.find(std::string(name));
    if (it == m_index.end()) {
        return std::nullopt;
    }
    return m_entries[it->second].value;
}

Field MapReader::require(std::string_view name) const {
    auto field = get(name);
    if (!field) {
        std::string dotted =
            m_self.key().empty() ? std::string(name) : m_self.key() + "." + std::string(name);
        m_self.source().fail(m_self.mark(), dotted,
                             "required key `" + std::string(name) + "` is missing");
    }
    return *field;
}

}  // namespace stagehand::core::yaml
