#include "core/config_node.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kFile[] = "test.yaml";

std::shared_ptr<ConfigDocument> ParseDoc(const std::string& text, const std::string& dir = "") {
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::Parse(text, kFile, dir);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? *doc : nullptr;
}

// The message of Parse's error for `text`; fails the test when it parses.
std::string ParseError(const std::string& text) {
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::Parse(text, kFile);
  EXPECT_FALSE(doc.ok()) << "parsed:\n" << text;
  if (doc.ok()) return "";
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  return doc.status().message();
}

// Reads `text` with `reader`, expecting success.
template <typename T>
T ReadOk(const std::string& text, const std::function<T(ConfigNode&)>& reader) {
  auto doc = ParseDoc(text);
  if (!doc) return T{};
  StatusOr<T> value = doc->Read<T>(reader);
  EXPECT_TRUE(value.ok()) << value.status().ToString();
  return value.ok() ? std::move(value).value() : T{};
}

// Reads `text` with `reader`, expecting ConfigDocument::Read to fail; returns the message.
std::string ReadError(const std::string& text, const std::function<int(ConfigNode&)>& reader) {
  auto doc = ParseDoc(text);
  if (!doc) return "";
  StatusOr<int> value = doc->Read<int>(reader);
  EXPECT_FALSE(value.ok()) << "read succeeded:\n" << text;
  if (value.ok()) return "";
  EXPECT_EQ(value.status().code(), StatusCode::kInvalidArgument);
  return value.status().message();
}

// A typical typed config, read the way loaders read theirs.
struct Broker {
  std::string host;
  int64_t port = 0;
};
struct Connector {
  std::string name;
  Broker broker;
  std::vector<std::string> topics;
};
struct Config {
  std::string site;
  int64_t timeout_ns = 0;
  std::vector<Connector> connectors;
};

Config ReadConfig(ConfigNode& root) {
  Config c;
  c.site = root.String("site", "default-site");
  c.timeout_ns = root.Duration("timeout", 1'000'000'000);
  for (ConfigNode& element : root.Get("connectors").Elements()) {
    Connector connector;
    connector.name = element.String("name");
    ConfigNode broker = element.Get("broker");
    connector.broker.host = broker.String("host");
    connector.broker.port = broker.Int("port", 1883);
    if (auto topics = element.Find("topics")) connector.topics = topics->AsStringList();
    c.connectors.push_back(std::move(connector));
  }
  return c;
}

int ReadConfigForError(ConfigNode& root) {
  ReadConfig(root);
  return 0;
}

// Line numbers below are 1-based, as in messages.
const std::string kConfig =
    "site: plant-1\n"               // 1
    "timeout: 5s\n"                 // 2
    "connectors:\n"                 // 3
    "  - name: mqtt-1\n"            // 4
    "    broker:\n"                 // 5
    "      host: localhost\n"       // 6
    "      port: 1884\n"            // 7
    "    topics: [a/#, b/+]\n"      // 8
    "  - name: mqtt-2\n"            // 9
    "    broker: {host: broker}\n"  // 10
    "    topics: c/d\n";            // 11

TEST(ConfigDocumentTest, ReadsATypedConfig) {
  const Config c = ReadOk<Config>(kConfig, ReadConfig);
  EXPECT_EQ(c.site, "plant-1");
  EXPECT_EQ(c.timeout_ns, 5'000'000'000);
  ASSERT_EQ(c.connectors.size(), 2u);
  EXPECT_EQ(c.connectors[0].name, "mqtt-1");
  EXPECT_EQ(c.connectors[0].broker.host, "localhost");
  EXPECT_EQ(c.connectors[0].broker.port, 1884);
  EXPECT_THAT(c.connectors[0].topics, ElementsAre("a/#", "b/+"));
  EXPECT_EQ(c.connectors[1].broker.host, "broker");
  EXPECT_EQ(c.connectors[1].broker.port, 1883);
  EXPECT_THAT(c.connectors[1].topics, ElementsAre("c/d"));
}

// ---------------------------------------------------------------- unknown keys

TEST(ConfigDocumentTest, UnknownKeyAtTheRootNamesPlaceAndSuggestion) {
  const std::string text =
      "site: plant-1\n"
      "timeot: 5s\n"
      "connectors: []\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:2:1: timeot: unknown key (did you mean 'timeout'?)");
}

TEST(ConfigDocumentTest, UnknownKeyInANestedMapping) {
  const std::string text =
      "connectors:\n"
      "  - name: mqtt-1\n"
      "    broker:\n"
      "      host: localhost\n"
      "      prot: 1884\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:5:7: connectors[0].broker.prot: unknown key (did you mean 'port'?)");
}

TEST(ConfigDocumentTest, UnknownKeyInALaterListElement) {
  const std::string text =
      "connectors:\n"
      "  - name: mqtt-1\n"
      "    broker: {host: a}\n"
      "  - name: mqtt-2\n"
      "    broker: {host: b}\n"
      "    topic: x/y\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:6:5: connectors[1].topic: unknown key (did you mean 'topics'?)");
}

TEST(ConfigDocumentTest, UnknownKeyInAFlowMapping) {
  const std::string text =
      "connectors:\n"
      "  - {name: m, broker: {host: a, portt: 1}}\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:2:33: connectors[0].broker.portt: unknown key (did you mean 'port'?)");
}

TEST(ConfigDocumentTest, UnknownKeyWithoutACloseMatchListsTheKnownKeys) {
  const std::string text =
      "connectors: []\n"
      "colour: blue\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:2:1: colour: unknown key (known keys here: connectors, site, timeout)");
}

TEST(ConfigDocumentTest, KeysAskedAboutButAbsentStillCount) {
  // Has/Find of an absent key makes it known, so a present key is never flagged just because
  // the reader took the default path for another.
  const int v = ReadOk<int>("a: 1\n", [](ConfigNode& root) {
    EXPECT_FALSE(root.Has("b"));
    EXPECT_FALSE(root.Find("c").has_value());
    return static_cast<int>(root.Int("a"));
  });
  EXPECT_EQ(v, 1);
}

TEST(ConfigDocumentTest, HasMarksAKeyAsKnown) {
  const bool has = ReadOk<bool>("flag: 1\n", [](ConfigNode& root) { return root.Has("flag"); });
  EXPECT_TRUE(has);
}

TEST(ConfigDocumentTest, EntriesMarkEveryKeyKnownInDocumentOrder) {
  const std::string text =
      "types:\n"
      "  zeta: 1\n"
      "  alpha: 2\n"
      "  mid: 3\n";
  const auto names = ReadOk<std::vector<std::string>>(text, [](ConfigNode& root) {
    std::vector<std::string> out;
    for (auto& [name, node] : root.Get("types").Entries()) {
      out.push_back(name + "=" + node.AsString());
      EXPECT_EQ(node.path(), "types." + name);
    }
    return out;
  });
  EXPECT_THAT(names, ElementsAre("zeta=1", "alpha=2", "mid=3"));
}

TEST(ConfigDocumentTest, ReaderErrorWinsOverUnusedKeys) {
  const std::string text =
      "colour: blue\n"
      "connectors: 5\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError), "test.yaml:2:13: connectors: expected a list");
}

TEST(ConfigDocumentTest, CheckUnusedKeysThrowsConfigError) {
  auto doc = ParseDoc("a: 1\nb: 2\n");
  ASSERT_NE(doc, nullptr);
  ConfigNode root = doc->root();
  EXPECT_EQ(root.Int("a"), 1);
  try {
    doc->CheckUnusedKeys();
    ADD_FAILURE() << "no ConfigError for 'b'";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:2:1: b: unknown key (did you mean 'a'?)");
  }
  EXPECT_EQ(root.Int("b"), 2);
  EXPECT_NO_THROW(doc->CheckUnusedKeys());
}

TEST(ConfigDocumentTest, NonScalarKeyIsAnErrorWithAPosition) {
  const std::string text =
      "a: 1\n"
      "? [x, y]\n"
      ": 2\n";
  EXPECT_THAT(ReadError(text,
                        [](ConfigNode& root) {
                          root.Int("a");
                          return 0;
                        }),
              StartsWith("test.yaml:2:3: a key must be a plain name"));
}

// ---------------------------------------------------------------- required keys and types

TEST(ConfigDocumentTest, MissingRequiredKeyNamesPlaceAndKey) {
  const std::string text =
      "connectors:\n"
      "  - name: mqtt-1\n"
      "    broker:\n"
      "      port: 1\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:4:7: connectors[0].broker: missing required key 'host'");
}

TEST(ConfigDocumentTest, MissingRequiredKeyAtTheRoot) {
  EXPECT_EQ(ReadError("site: x\n", ReadConfigForError),
            "test.yaml:1:1: missing required key 'connectors'");
}

TEST(ConfigDocumentTest, NullValueCountsAsMissing) {
  const std::string text =
      "site:\n"
      "connectors: ~\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:1:1: missing required key 'connectors'");
  const std::string site =
      ReadOk<std::string>("site:\n", [](ConfigNode& root) { return root.String("site", "dflt"); });
  EXPECT_EQ(site, "dflt");
}

TEST(ConfigDocumentTest, StringWhereANumberIsExpected) {
  const std::string text =
      "connectors:\n"
      "  - name: mqtt-1\n"
      "    broker:\n"
      "      host: h\n"
      "      port: abc\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:5:13: connectors[0].broker.port: 'abc' is not a whole number");
}

TEST(ConfigDocumentTest, ListWhereAScalarIsExpected) {
  const std::string text =
      "site: [a, b]\n"
      "connectors: []\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError), "test.yaml:1:7: site: expected a single value");
}

TEST(ConfigDocumentTest, ScalarWhereAMappingIsExpected) {
  const std::string text =
      "connectors:\n"
      "  - name: m\n"
      "    broker: localhost\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:3:13: connectors[0].broker: expected a mapping of keys to values");
}

TEST(ConfigDocumentTest, MappingWhereAListElementIsExpected) {
  const std::string text =
      "connectors:\n"
      "  - name: m\n"
      "    broker: {host: h}\n"
      "    topics: [a, {b: c}]\n";
  EXPECT_EQ(ReadError(text, ReadConfigForError),
            "test.yaml:4:17: connectors[0].topics[1]: expected a single value");
}

TEST(ConfigDocumentTest, BadDurationNamesThePlaceAndTheForm) {
  const std::string text =
      "timeout: 5 parsecs\n"
      "connectors: []\n";
  const std::string message = ReadError(text, ReadConfigForError);
  EXPECT_THAT(message, StartsWith("test.yaml:1:10: timeout: '5 parsecs' is not a duration"));
  EXPECT_THAT(message, HasSubstr("500ms"));
}

// ---------------------------------------------------------------- scalar conversions

// Reads key `v` of the one-line document "v: <value>" with `read`.
template <typename T>
T ReadValue(const std::string& value, T (*read)(ConfigNode&)) {
  return ReadOk<T>("v: " + value + "\n", read);
}

std::string ValueError(const std::string& value, const std::function<void(ConfigNode&)>& read) {
  return ReadError("v: " + value + "\n", [&](ConfigNode& root) {
    ConfigNode v = root.Get("v");
    read(v);
    return 0;
  });
}

int64_t IntOf(ConfigNode& root) { return root.Int("v"); }
double DoubleOf(ConfigNode& root) { return root.Double("v"); }
bool BoolOf(ConfigNode& root) { return root.Bool("v", false); }
int64_t BytesOf(ConfigNode& root) { return root.ByteSize("v", 0); }

TEST(ConfigNodeTest, Integers) {
  EXPECT_EQ(ReadValue<int64_t>("42", IntOf), 42);
  EXPECT_EQ(ReadValue<int64_t>("-7", IntOf), -7);
  EXPECT_EQ(ReadValue<int64_t>("0x1F", IntOf), 31);
  EXPECT_EQ(ReadValue<int64_t>("9223372036854775807", IntOf), std::numeric_limits<int64_t>::max());
  // Leading zeros are decimal (YAML 1.2), not C octal.
  EXPECT_EQ(ReadValue<int64_t>("010", IntOf), 10);
  EXPECT_EQ(ReadValue<int64_t>("0502", IntOf), 502);
  for (const char* bad : {"1.5", "12abc", "abc", "\"\"", "9223372036854775808", "0x", "1e3"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ValueError(bad, [](ConfigNode& v) { v.AsInt(); }),
                HasSubstr("is not a whole number"));
  }
}

TEST(ConfigNodeTest, Doubles) {
  EXPECT_EQ(ReadValue<double>("1.5", DoubleOf), 1.5);
  EXPECT_EQ(ReadValue<double>("-2", DoubleOf), -2.0);
  EXPECT_EQ(ReadValue<double>("1e3", DoubleOf), 1000.0);
  EXPECT_EQ(ReadValue<double>(".inf", DoubleOf), std::numeric_limits<double>::infinity());
  EXPECT_EQ(ReadValue<double>("-.inf", DoubleOf), -std::numeric_limits<double>::infinity());
  for (const char* bad : {"abc", "1.5x", "nan", ".nan", "1,5"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ValueError(bad, [](ConfigNode& v) { v.AsDouble(); }),
              "test.yaml:1:4: v: '" + std::string(bad) + "' is not a number");
  }
}

TEST(ConfigNodeTest, Booleans) {
  for (const char* yes : {"true", "yes", "on"}) EXPECT_TRUE(ReadValue<bool>(yes, BoolOf)) << yes;
  for (const char* no : {"false", "no", "off"}) EXPECT_FALSE(ReadValue<bool>(no, BoolOf)) << no;
  EXPECT_EQ(ValueError("maybe", [](ConfigNode& v) { v.AsBool(); }),
            "test.yaml:1:4: v: 'maybe' is not true or false");
  EXPECT_TRUE(ReadOk<bool>("{}", [](ConfigNode& root) { return root.Bool("v", true); }));
}

TEST(ConfigNodeTest, ByteSizesAndDurations) {
  EXPECT_EQ(ReadValue<int64_t>("64MiB", BytesOf), 64 << 20);
  EXPECT_THAT(ValueError("64 furlongs", [](ConfigNode& v) { v.AsByteSize(); }),
              StartsWith("test.yaml:1:4: v: '64 furlongs' is not a byte size"));
  EXPECT_EQ(ReadOk<int64_t>("{}", [](ConfigNode& root) { return root.Duration("v", 7); }), 7);
  EXPECT_EQ(ReadOk<int64_t>("v: 250ms", [](ConfigNode& root) { return root.Duration("v"); }),
            250'000'000);
}

TEST(ConfigNodeTest, StringLists) {
  const auto one = ReadOk<std::vector<std::string>>(
      "v: single\n", [](ConfigNode& root) { return root.Get("v").AsStringList(); });
  EXPECT_THAT(one, ElementsAre("single"));
  const auto many = ReadOk<std::vector<std::string>>(
      "v:\n  - a\n  - b\n", [](ConfigNode& root) { return root.Get("v").AsStringList(); });
  EXPECT_THAT(many, ElementsAre("a", "b"));
  EXPECT_EQ(ValueError("{a: 1}", [](ConfigNode& v) { v.AsStringList(); }),
            "test.yaml:1:4: v: expected a value or a list of values");
}

TEST(ConfigNodeTest, DefaultsApplyOnlyWhenAbsent) {
  struct Values {
    std::string s;
    double d = 0;
    int64_t i = 0;
  };
  const Values v = ReadOk<Values>("s: given\n", [](ConfigNode& root) {
    return Values{root.String("s", "dflt"), root.Double("d", 2.5), root.Int("i", -3)};
  });
  EXPECT_EQ(v.s, "given");
  EXPECT_EQ(v.d, 2.5);
  EXPECT_EQ(v.i, -3);
}

// ---------------------------------------------------------------- Choice

TEST(ConfigNodeTest, ChoiceAcceptsAListedValueOrFallsBack) {
  auto read = [](ConfigNode& root) { return root.Choice("mode", {"fast", "safe", "off"}, "safe"); };
  EXPECT_EQ(ReadOk<std::string>("mode: fast\n", read), "fast");
  EXPECT_EQ(ReadOk<std::string>("other: 1\nmode: off\n",
                                [&](ConfigNode& root) {
                                  root.Has("other");
                                  return read(root);
                                }),
            "off");
  EXPECT_EQ(ReadOk<std::string>("{}", read), "safe");
}

TEST(ConfigNodeTest, ChoiceErrorListsTheChoicesAndSuggests) {
  auto read = [](ConfigNode& root) {
    root.Choice("mode", {"fast", "safe", "off"}, "safe");
    return 0;
  };
  EXPECT_EQ(ReadError("mode: saf\n", read),
            "test.yaml:1:7: mode: 'saf' is not one of: fast, safe, off (did you mean 'safe'?)");
  EXPECT_EQ(ReadError("mode: turbo-boost\n", read),
            "test.yaml:1:7: mode: 'turbo-boost' is not one of: fast, safe, off");
}

// ---------------------------------------------------------------- Path

TEST(ConfigNodeTest, PathResolvesAgainstTheParseDirectory) {
  auto doc = ParseDoc(
      "db: data/strata.db\n"
      "abs: /var/lib/x.db\n"
      "up: ../certs/ca.pem\n"
      "here: ./a/./b.txt\n",
      "/etc/strata");
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->dir(), "/etc/strata");
  ConfigNode root = doc->root();
  EXPECT_EQ(root.Path("db"), "/etc/strata/data/strata.db");
  EXPECT_EQ(root.Path("abs"), "/var/lib/x.db");
  EXPECT_EQ(root.Path("up"), "/etc/certs/ca.pem");
  EXPECT_EQ(root.Path("here"), "/etc/strata/a/b.txt");
  EXPECT_EQ(root.Path("missing", "fallback.txt"), "fallback.txt");
  EXPECT_NO_THROW(doc->CheckUnusedKeys());
}

TEST(ConfigNodeTest, PathWithoutADirectoryStaysRelative) {
  auto doc = ParseDoc("db: data/strata.db\n");
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->dir(), "");
  ConfigNode root = doc->root();
  EXPECT_EQ(root.Path("db"), "data/strata.db");
}

TEST(ConfigNodeTest, RequiredPathThatIsMissingIsAnError) {
  EXPECT_EQ(ReadError("{}",
                      [](ConfigNode& root) {
                        root.Path("db");
                        return 0;
                      }),
            "test.yaml:1:1: missing required key 'db'");
}

// A directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-core-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = (std::filesystem::path(path_) / name).string();
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

TEST(ConfigDocumentTest, LoadFileResolvesPathsAgainstTheFilesDirectory) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::filesystem::create_directories(std::filesystem::path(dir.path()) / "conf");
  const std::string file = dir.Write("conf/edge.yaml", "db: ../data/strata.db\nname: e1\n");
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::LoadFile(file);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)->file(), file);
  EXPECT_EQ((*doc)->dir(), dir.path() + "/conf");
  ConfigNode root = (*doc)->root();
  EXPECT_EQ(root.Path("db"), dir.path() + "/data/strata.db");
  EXPECT_EQ(root.String("name"), "e1");
  EXPECT_EQ(root.Where(), file + ":1:1");
}

TEST(ConfigDocumentTest, LoadFileErrorsNameTheFile) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string missing = dir.path() + "/nope.yaml";
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::LoadFile(missing);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(doc.status().message(), HasSubstr("'" + missing + "'"));

  StatusOr<std::shared_ptr<ConfigDocument>> is_dir = ConfigDocument::LoadFile(dir.path());
  ASSERT_FALSE(is_dir.ok()) << "a directory is not a config file";
  EXPECT_THAT(is_dir.status().message(), HasSubstr(dir.path()));

  const std::string bad = dir.Write("bad.yaml", "a: 1\nb: [1, 2\n");
  StatusOr<std::shared_ptr<ConfigDocument>> invalid = ConfigDocument::LoadFile(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.status().message(), StartsWith(bad + ":"));
}

// ---------------------------------------------------------------- document shape

TEST(ConfigDocumentTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(ParseError("port: 1\n"
                       "host: h\n"
                       "port: 2\n"),
            "test.yaml:3:1: port: duplicate key (first at line 1); keep one of them");
}

TEST(ConfigDocumentTest, DuplicateKeyInNestedMappingsAndListElements) {
  EXPECT_EQ(ParseError("broker:\n"
                       "  host: a\n"
                       "  host: b\n"),
            "test.yaml:3:3: broker.host: duplicate key (first at line 2); keep one of them");
  EXPECT_EQ(ParseError("connectors:\n"
                       "  - name: a\n"
                       "  - name: b\n"
                       "    broker: {port: 1, port: 2}\n"),
            "test.yaml:4:23: connectors[1].broker.port: duplicate key (first at line 4); keep "
            "one of them");
}

TEST(ConfigDocumentTest, SameKeyInDifferentMappingsIsFine) {
  EXPECT_NE(ParseDoc("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 2}]\n"), nullptr);
}

TEST(ConfigDocumentTest, RecursiveAliasDoesNotHang) {
  EXPECT_NE(ParseDoc("a: &loop {b: *loop}\n"), nullptr);
}

TEST(ConfigDocumentTest, EmptyDocumentIsAnEmptyMapping) {
  for (const char* text : {"", "# only a comment\n", "---\n", "~\n"}) {
    SCOPED_TRACE(text);
    auto doc = ParseDoc(text);
    ASSERT_NE(doc, nullptr);
    ConfigNode root = doc->root();
    EXPECT_TRUE(root.IsMap());
    EXPECT_FALSE(root.Has("anything"));
    EXPECT_EQ(root.Int("port", 1883), 1883);
    EXPECT_NO_THROW(doc->CheckUnusedKeys());
  }
  const std::string message = ReadError("", ReadConfigForError);
  EXPECT_THAT(message, StartsWith("test.yaml"));
  EXPECT_THAT(message, HasSubstr("missing required key 'connectors'"));
}

TEST(ConfigDocumentTest, TopLevelListOrScalarIsAClearError) {
  EXPECT_EQ(ParseError("- a\n- b\n"),
            "test.yaml:1:1: the top level must be a mapping of keys to values");
  EXPECT_EQ(ParseError("just text\n"),
            "test.yaml:1:1: the top level must be a mapping of keys to values");
}

TEST(ConfigDocumentTest, InvalidYamlNamesThePosition) {
  EXPECT_THAT(ParseError("a: 1\nb: [1, 2\nc: 3\n"), StartsWith("test.yaml:3:"));
  EXPECT_THAT(ParseError("a: 1\nb: [1, 2\nc: 3\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(ParseError("a: 1\n  b: 2\n"), StartsWith("test.yaml:2:"));
  EXPECT_EQ(ParseError("a: b: c\n"), "test.yaml:1:5: not valid YAML: illegal map value");
}

TEST(ConfigDocumentTest, SecondDocumentIsAnError) {
  EXPECT_THAT(ParseError("a: 1\n---\nb: 2\n"), StartsWith("test.yaml:3:1: a second YAML document"));
}

TEST(ConfigDocumentTest, NameStandsForTheFileInMessages) {
  StatusOr<std::shared_ptr<ConfigDocument>> doc =
      ConfigDocument::Parse("a: 1\n", "<embedded plant.yaml>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)->file(), "<embedded plant.yaml>");
  StatusOr<int> v = (*doc)->Read<int>([](ConfigNode& root) { return root.Has("other") ? 1 : 0; });
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(),
            "<embedded plant.yaml>:1:1: a: unknown key (known keys here: other)");
}

TEST(ConfigNodeTest, WhereAndPathAndFail) {
  auto doc = ParseDoc("outer:\n  list:\n    - x\n    - {k: v}\n");
  ASSERT_NE(doc, nullptr);
  ConfigNode root = doc->root();
  EXPECT_EQ(root.path(), "");
  EXPECT_EQ(root.Where(), "test.yaml:1:1");
  ConfigNode list = root.Get("outer").Get("list");
  EXPECT_EQ(list.path(), "outer.list");
  EXPECT_TRUE(list.IsSequence());
  std::vector<ConfigNode> elements = list.Elements();
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[0].path(), "outer.list[0]");
  EXPECT_EQ(elements[0].Where(), "test.yaml:3:7");
  EXPECT_TRUE(elements[0].IsScalar());
  EXPECT_EQ(elements[1].path(), "outer.list[1]");
  EXPECT_TRUE(elements[1].IsMap());
  EXPECT_EQ(elements[1].Get("k").path(), "outer.list[1].k");
  try {
    elements[1].Get("k").Fail("bad value");
    ADD_FAILURE() << "Fail returned";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:4:11: outer.list[1].k: bad value");
  }
  try {
    root.Fail("whole file is wrong");
    ADD_FAILURE() << "Fail returned";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:1:1: whole file is wrong");
  }
}

// ---------------------------------------------------------------- suggestions

TEST(EditDistanceTest, Basics) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("port", "port"), 0u);
  EXPECT_EQ(EditDistance("port", "prot"), 2u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("timeout", "timeot"), 1u);
  EXPECT_EQ(EditDistance("flaw", "lawn"), 2u);
  EXPECT_EQ(EditDistance("abc", "xyz"), EditDistance("xyz", "abc"));
}

TEST(ClosestMatchTest, SuggestsOnlyNearWords) {
  const std::vector<std::string> keys = {"host", "port", "timeout", "topics"};
  EXPECT_EQ(ClosestMatch("prot", keys), "port");
  EXPECT_EQ(ClosestMatch("hots", keys), "host");
  EXPECT_EQ(ClosestMatch("timout", keys), "timeout");
  EXPECT_EQ(ClosestMatch("topic", keys), "topics");
  EXPECT_EQ(ClosestMatch("port", keys), "port");
  EXPECT_EQ(ClosestMatch("colour", keys), "");
  EXPECT_EQ(ClosestMatch("anything", {}), "");
  // Longer words tolerate more edits (a third of their length).
  EXPECT_EQ(ClosestMatch("sample_rate", {"sampling_rate_hz"}), "");
  EXPECT_EQ(ClosestMatch("samplng_rte_hz", {"sampling_rate_hz"}), "sampling_rate_hz");
}

}  // namespace
}  // namespace strata
