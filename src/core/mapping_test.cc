#include "core/mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

TopicPattern Pattern(std::string_view text) {
  StatusOr<TopicPattern> p = TopicPattern::Parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status().ToString();
  return p.ok() ? *p : TopicPattern();
}

std::string PatternError(std::string_view text) {
  StatusOr<TopicPattern> p = TopicPattern::Parse(text);
  EXPECT_FALSE(p.ok()) << "'" << text << "' parsed";
  if (p.ok()) return "";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  return p.status().message();
}

// All captures as name -> value.
std::map<std::string, std::string> CaptureMap(const TopicPattern& pattern,
                                              const Captures& captures) {
  std::map<std::string, std::string> out;
  for (const std::string& name : pattern.capture_names()) {
    if (const std::string_view* v = captures.Find(name)) out[name] = std::string(*v);
  }
  return out;
}

bool Matches(std::string_view pattern, std::string_view topic) {
  Captures captures;
  return Pattern(pattern).Match(topic, &captures);
}

// ---------------------------------------------------------------- Captures

TEST(CapturesTest, AddFindTruncateClear) {
  Captures c;
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.Find("a"), nullptr);
  ASSERT_TRUE(c.Add("a", "1"));
  ASSERT_TRUE(c.Add("b", "2"));
  ASSERT_NE(c.Find("a"), nullptr);
  EXPECT_EQ(*c.Find("a"), "1");
  EXPECT_EQ(*c.Find("b"), "2");
  ASSERT_TRUE(c.Add("a", "3"));
  EXPECT_EQ(*c.Find("a"), "3") << "the latest capture of a name wins";
  c.Truncate(2);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(*c.Find("a"), "1");
  c.Truncate(5);
  EXPECT_EQ(c.size(), 2u) << "Truncate never grows";
  c.Clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.Find("b"), nullptr);
}

TEST(CapturesTest, HoldsAtMostKMax) {
  Captures c;
  const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f", "g",
                                          "h", "i", "j", "k", "l", "m"};
  for (size_t i = 0; i < Captures::kMax; ++i) EXPECT_TRUE(c.Add(names[i], "v"));
  EXPECT_FALSE(c.Add(names[Captures::kMax], "v"));
  EXPECT_EQ(c.size(), Captures::kMax);
  EXPECT_EQ(c.Find(names[Captures::kMax]), nullptr);
}

// ---------------------------------------------------------------- TopicPattern::Parse

TEST(TopicPatternTest, ParsesLevelsAndCaptures) {
  const TopicPattern p = Pattern("plant/{site}/+/{asset}/#");
  EXPECT_EQ(p.text(), "plant/{site}/+/{asset}/#");
  EXPECT_THAT(p.capture_names(), ElementsAre("site", "asset"));
  EXPECT_EQ(p.Filter(), "plant/+/+/+/#");
}

TEST(TopicPatternTest, FilterKeepsLiteralsAndWildcards) {
  EXPECT_EQ(Pattern("a/b/c").Filter(), "a/b/c");
  EXPECT_EQ(Pattern("#").Filter(), "#");
  EXPECT_EQ(Pattern("+").Filter(), "+");
  EXPECT_EQ(Pattern("{x}").Filter(), "+");
  EXPECT_EQ(Pattern("a//b/").Filter(), "a//b/");
  EXPECT_EQ(Pattern("/a").Filter(), "/a");
  EXPECT_EQ(Pattern("spBv1.0/{group}/DDATA/{node}/{device}").Filter(), "spBv1.0/+/DDATA/+/+");
}

TEST(TopicPatternTest, HashOnlyAsTheLastLevel) {
  EXPECT_THAT(PatternError("a/#/b"), HasSubstr("'#' may only be the last level"));
  EXPECT_THAT(PatternError("#/a"), HasSubstr("'#' may only be the last level"));
  EXPECT_THAT(PatternError("a/#/#"), HasSubstr("'#' may only be the last level"));
}

TEST(TopicPatternTest, WildcardsMustBeWholeLevels) {
  for (const char* text :
       {"a+b", "a/b+", "a/#b", "a/b#", "x{y}", "{y}x", "a/{", "a/}", "a/{x", "+a/b", "a/{x}}"}) {
    SCOPED_TRACE(text);
    const std::string message = PatternError(text);
    EXPECT_THAT(message, HasSubstr(std::string("'") + text + "'"));
  }
  EXPECT_THAT(PatternError("plant/a+b/x"), HasSubstr("level 'a+b' mixes text with + #"));
}

TEST(TopicPatternTest, CaptureNamesAreValidAndUnique) {
  EXPECT_THAT(PatternError("a/{x}/{x}"), HasSubstr("capture '{x}' appears twice"));
  EXPECT_THAT(PatternError("a/{}"), HasSubstr("'{}' is not a valid capture name"));
  EXPECT_THAT(PatternError("a/{x{y}"), HasSubstr("is not a valid capture name"));
  EXPECT_THAT(PatternError("a/{+}"), HasSubstr("is not a valid capture name"));
  EXPECT_THAT(PatternError("a/{#}"), HasSubstr("is not a valid capture name"));
}

TEST(TopicPatternTest, NameIsReservedForThePayloadItem) {
  EXPECT_THAT(PatternError("a/{name}"), HasSubstr("'{name}' is reserved"));
}

TEST(TopicPatternTest, EmptyPatternIsAnError) { PatternError(""); }

TEST(TopicPatternTest, AtMostElevenCaptures) {
  // Twelve slots, one of them kept for the payload's item name.
  EXPECT_THAT(Pattern("{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}").capture_names().size(), 11u);
  EXPECT_THAT(PatternError("{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}"),
              HasSubstr("too many captures"));
}

// ---------------------------------------------------------------- TopicPattern::Match

TEST(TopicPatternMatchTest, Literals) {
  EXPECT_TRUE(Matches("a/b/c", "a/b/c"));
  EXPECT_FALSE(Matches("a/b/c", "a/b"));
  EXPECT_FALSE(Matches("a/b", "a/b/c"));
  EXPECT_FALSE(Matches("a/b/c", "a/b/cd"));
  EXPECT_FALSE(Matches("a/b/c", "A/b/c")) << "topics are case-sensitive";
  EXPECT_FALSE(Matches("a/b", "a/b/"));
  EXPECT_TRUE(Matches("a/b/", "a/b/"));
  EXPECT_TRUE(Matches("/a", "/a"));
  EXPECT_FALSE(Matches("/a", "a"));
}

TEST(TopicPatternMatchTest, PlusIsExactlyOneLevel) {
  EXPECT_TRUE(Matches("a/+/c", "a/b/c"));
  EXPECT_TRUE(Matches("a/+/c", "a//c")) << "'+' matches an empty level";
  EXPECT_FALSE(Matches("a/+/c", "a/b/x/c"));
  EXPECT_FALSE(Matches("a/+", "a"));
  EXPECT_TRUE(Matches("a/+", "a/"));
  EXPECT_FALSE(Matches("a/+", "a/b/c"));
  EXPECT_TRUE(Matches("+", "a"));
  EXPECT_FALSE(Matches("+", "a/b"));
  EXPECT_TRUE(Matches("+/+", "/finance"));
  EXPECT_TRUE(Matches("/+", "/finance"));
  EXPECT_FALSE(Matches("+", "/finance"));
  EXPECT_TRUE(Matches("+/+/+", "a/b/c"));
}

TEST(TopicPatternMatchTest, HashIsZeroOrMoreTrailingLevels) {
  EXPECT_TRUE(Matches("#", "a"));
  EXPECT_TRUE(Matches("#", "a/b/c"));
  EXPECT_TRUE(Matches("#", "/"));
  EXPECT_TRUE(Matches("a/#", "a")) << "'#' also matches the parent level";
  EXPECT_TRUE(Matches("a/#", "a/"));
  EXPECT_TRUE(Matches("a/#", "a/b"));
  EXPECT_TRUE(Matches("a/#", "a/b/c/d"));
  EXPECT_FALSE(Matches("a/#", "b/a"));
  EXPECT_FALSE(Matches("a/#", "ab"));
  EXPECT_FALSE(Matches("a/b/#", "a"));
  EXPECT_TRUE(Matches("a/+/#", "a/b"));
  EXPECT_FALSE(Matches("a/+/#", "a"));
  EXPECT_TRUE(Matches("+/#", "x"));
}

TEST(TopicPatternMatchTest, WildcardsDoNotMatchDollarTopics) {
  EXPECT_FALSE(Matches("#", "$SYS/broker/uptime"));
  EXPECT_FALSE(Matches("+/broker/uptime", "$SYS/broker/uptime"));
  EXPECT_FALSE(Matches("{root}/broker/uptime", "$SYS/broker/uptime"));
  EXPECT_TRUE(Matches("$SYS/#", "$SYS/broker/uptime"));
  EXPECT_TRUE(Matches("$SYS/+/uptime", "$SYS/broker/uptime"));
  EXPECT_TRUE(Matches("a/+", "a/$b")) << "only the first level is special";
}

TEST(TopicPatternMatchTest, CapturesAreFilled) {
  const TopicPattern p = Pattern("plant/{site}/+/{machine}/#");
  Captures c;
  ASSERT_TRUE(p.Match("plant/berlin/line-2/press-7/process/temp", &c));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_THAT(CaptureMap(p, c),
              (std::map<std::string, std::string>{{"site", "berlin"}, {"machine", "press-7"}}));
  // The captures are views into the topic.
  const std::string topic = "plant/s1/x/m1";
  Captures c2;
  ASSERT_TRUE(p.Match(topic, &c2));
  const std::string_view* site = c2.Find("site");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->data(), topic.data() + 6);
}

TEST(TopicPatternMatchTest, CapturesNeedANonEmptyLevel) {
  EXPECT_FALSE(Matches("a/{x}/c", "a//c"));
  EXPECT_FALSE(Matches("a/{x}", "a/"));
}

TEST(TopicPatternMatchTest, FailedMatchRollsBackItsCaptures) {
  const TopicPattern p = Pattern("{a}/{b}/x");
  Captures c;
  ASSERT_TRUE(c.Add("before", "kept"));
  EXPECT_FALSE(p.Match("1/2/y", &c)) << "fails at the last level, after two captures";
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Find("a"), nullptr);
  EXPECT_EQ(c.Find("b"), nullptr);
  ASSERT_NE(c.Find("before"), nullptr);

  EXPECT_FALSE(p.Match("1/2", &c)) << "topic ran out before the pattern";
  EXPECT_EQ(c.size(), 1u);
  EXPECT_FALSE(p.Match("1/2/x/4", &c)) << "pattern ran out before the topic";
  EXPECT_EQ(c.size(), 1u);

  EXPECT_TRUE(p.Match("1/2/x", &c));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(*c.Find("a"), "1");
  EXPECT_EQ(*c.Find("b"), "2");
}

TEST(TopicPatternMatchTest, MatchFailsWhenCapturesAreFull) {
  Captures c;
  for (size_t i = 0; i < Captures::kMax; ++i) ASSERT_TRUE(c.Add("filler", "x"));
  EXPECT_FALSE(Pattern("a/{b}").Match("a/1", &c));
  EXPECT_EQ(c.size(), Captures::kMax);
  EXPECT_TRUE(Pattern("a/+").Match("a/1", &c)) << "no capture needed";
}

// ---------------------------------------------------------------- Template

Template Tmpl(std::string_view text) {
  StatusOr<Template> t = Template::Parse(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : Template();
}

TEST(TemplateTest, ExpandsPlaceholders) {
  const Template t = Tmpl("acme/{site}/line-1/{machine}");
  EXPECT_THAT(t.names(), ElementsAre("site", "machine"));
  EXPECT_FALSE(t.is_literal());
  EXPECT_EQ(t.text(), "acme/{site}/line-1/{machine}");
  Captures c;
  ASSERT_TRUE(c.Add("machine", "press-7"));
  ASSERT_TRUE(c.Add("site", "berlin"));
  std::string out = "prefix:";
  ASSERT_TRUE(t.ExpandTo(c, &out));
  EXPECT_EQ(out, "prefix:acme/berlin/line-1/press-7");
}

TEST(TemplateTest, AdjacentAndRepeatedPlaceholders) {
  Captures c;
  ASSERT_TRUE(c.Add("a", "1"));
  ASSERT_TRUE(c.Add("b", "2"));
  std::string out;
  ASSERT_TRUE(Tmpl("{a}{b}-{a}").ExpandTo(c, &out));
  EXPECT_EQ(out, "12-1");
}

TEST(TemplateTest, LiteralTemplates) {
  const Template t = Tmpl("bearing_de.temp");
  EXPECT_TRUE(t.is_literal());
  EXPECT_THAT(t.names(), IsEmpty());
  std::string out;
  ASSERT_TRUE(t.ExpandTo(Captures(), &out));
  EXPECT_EQ(out, "bearing_de.temp");

  std::string empty;
  ASSERT_TRUE(Tmpl("").ExpandTo(Captures(), &empty));
  EXPECT_EQ(empty, "");
}

TEST(TemplateTest, MissingCaptureFailsAndLeavesOutputUnchanged) {
  Captures c;
  ASSERT_TRUE(c.Add("site", "berlin"));
  std::string out = "keep";
  EXPECT_FALSE(Tmpl("acme/{site}/{machine}").ExpandTo(c, &out));
  EXPECT_EQ(out, "keep");
}

TEST(TemplateTest, BraceErrors) {
  for (const char* text :
       {"a/{site", "{", "{}", "a/{}/b", "a}", "}", "{a}}", "}{a}", "a/{x{y}}", "{a{b}"}) {
    SCOPED_TRACE(text);
    StatusOr<Template> t = Template::Parse(text);
    ASSERT_FALSE(t.ok()) << "parsed";
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(std::string("'") + text + "'"));
  }
}

// ---------------------------------------------------------------- Mapping::Read

StatusOr<Mapping> ReadMapping(const std::string& yaml) {
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::Parse(yaml, "mapping.yaml");
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<Mapping>([](ConfigNode& root) { return Mapping::Read(root); });
}

std::string MappingError(const std::string& yaml) {
  StatusOr<Mapping> m = ReadMapping(yaml);
  EXPECT_FALSE(m.ok()) << "read:\n" << yaml;
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  return m.status().message();
}

const std::string kMapping =
    "version: \"2026-11-23.1\"\n"                      // 1
    "rules:\n"                                         // 2
    "  - topic: \"plant/{site}/{machine}/process\"\n"  // 3
    "    decoder: readings\n"                          // 4
    "    asset: \"acme/{site}/line-1/{machine}\"\n"    // 5
    "    signal: \"{name}\"\n"                         // 6
    "    unit: \"[degF]\"\n"                           // 7
    "    scale: 0.1\n"                                 // 8
    "    offset: -3\n"                                 // 9
    "  - topic: \"plant/{site}/{machine}/#\"\n"        // 10
    "    asset: \"acme/{site}/line-1/{machine}\"\n"    // 11
    "    signal: status\n"                             // 12
    "  - topic: \"legacy/+/{machine}\"\n"              // 13
    "    asset: \"acme/old/{machine}\"\n"              // 14
    "    signal: value\n"                              // 15
    "  - topic: \"plant/+/+/#\"\n"                     // 16
    "    asset: catch-all\n"                           // 17
    "    signal: x\n";                                 // 18

TEST(MappingTest, ReadsRules) {
  StatusOr<Mapping> m = ReadMapping(kMapping);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, "2026-11-23.1");
  ASSERT_EQ(m->rules.size(), 4u);
  const MappingRule& r = m->rules[0];
  EXPECT_EQ(r.topic.text(), "plant/{site}/{machine}/process");
  EXPECT_EQ(r.decoder, "readings");
  EXPECT_EQ(r.asset.text(), "acme/{site}/line-1/{machine}");
  EXPECT_EQ(r.signal.text(), "{name}");
  EXPECT_EQ(r.unit, "[degF]");
  EXPECT_EQ(r.scale, 0.1);
  EXPECT_EQ(r.offset, -3);
  EXPECT_EQ(r.where, "mapping.yaml:3:5");

  const MappingRule& r2 = m->rules[1];
  EXPECT_EQ(r2.decoder, "");
  EXPECT_EQ(r2.unit, "");
  EXPECT_EQ(r2.scale, 1.0);
  EXPECT_EQ(r2.offset, 0.0);
  EXPECT_EQ(r2.where, "mapping.yaml:10:5");
}

TEST(MappingTest, VersionDefaultsToUnversioned) {
  StatusOr<Mapping> m = ReadMapping("rules: []\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, "unversioned");
  EXPECT_TRUE(m->rules.empty());
  Captures c;
  EXPECT_EQ(m->Match("anything", &c), nullptr);
  EXPECT_THAT(m->SubscriptionFilters(), IsEmpty());
}

TEST(MappingTest, FirstMatchingRuleWins) {
  StatusOr<Mapping> m = ReadMapping(kMapping);
  ASSERT_TRUE(m.ok()) << m.status().ToString();

  Captures c;
  const MappingRule* r = m->Match("plant/berlin/press-7/process", &c);
  ASSERT_EQ(r, &m->rules[0]);
  ASSERT_TRUE(c.Add(kItemNameCapture, "temp"));
  std::string asset, signal;
  ASSERT_TRUE(r->asset.ExpandTo(c, &asset));
  ASSERT_TRUE(r->signal.ExpandTo(c, &signal));
  EXPECT_EQ(asset, "acme/berlin/line-1/press-7");
  EXPECT_EQ(signal, "temp");

  // Rule 0 fails at its last level; its captures must not leak into rule 1's.
  c.Clear();
  r = m->Match("plant/berlin/press-7/status", &c);
  ASSERT_EQ(r, &m->rules[1]);
  EXPECT_EQ(c.size(), 2u);
  asset.clear();
  ASSERT_TRUE(r->asset.ExpandTo(c, &asset));
  EXPECT_EQ(asset, "acme/berlin/line-1/press-7");

  c.Clear();
  r = m->Match("legacy/x/m9", &c);
  ASSERT_EQ(r, &m->rules[2]);
  EXPECT_EQ(*c.Find("machine"), "m9");

  // An empty level cannot be captured, so rule 1 fails and the catch-all takes it.
  c.Clear();
  EXPECT_EQ(m->Match("plant/berlin//status", &c), &m->rules[3]);
  EXPECT_EQ(c.size(), 0u);

  c.Clear();
  EXPECT_EQ(m->Match("other/topic", &c), nullptr);
  EXPECT_EQ(c.size(), 0u);
}

TEST(MappingTest, SubscriptionFiltersAreDistinctInRuleOrder) {
  StatusOr<Mapping> m = ReadMapping(kMapping);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_THAT(m->SubscriptionFilters(),
              ElementsAre("plant/+/+/process", "plant/+/+/#", "legacy/+/+"));
}

TEST(MappingTest, TemplateNamingAnUncapturedLevelIsAnError) {
  EXPECT_EQ(MappingError("rules:\n"
                         "  - topic: plant/{site}/temp\n"
                         "    asset: acme/{plant}/x\n"
                         "    signal: temp\n"),
            "mapping.yaml:3:12: rules[0].asset: '{plant}' is not captured by topic "
            "'plant/{site}/temp' (captures: site; '{name}' is the payload item name)");
  EXPECT_EQ(MappingError("rules:\n"
                         "  - topic: plant/+/temp\n"
                         "    asset: acme/x\n"
                         "    signal: \"{sig}\"\n"),
            "mapping.yaml:4:13: rules[0].signal: '{sig}' is not captured by topic "
            "'plant/+/temp' (captures: none; '{name}' is the payload item name)");
}

TEST(MappingTest, NameIsAllowedInTemplates) {
  StatusOr<Mapping> m = ReadMapping(
      "rules:\n"
      "  - topic: a/{m}\n"
      "    asset: \"x/{m}/{name}\"\n"
      "    signal: \"{name}\"\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_THAT(m->rules[0].asset.names(), ElementsAre("m", "name"));
}

TEST(MappingTest, TopicErrorsNameThePlace) {
  EXPECT_EQ(MappingError("rules:\n"
                         "  - topic: a/#/b\n"
                         "    asset: x\n"
                         "    signal: y\n"),
            "mapping.yaml:2:12: rules[0].topic: topic pattern 'a/#/b': '#' may only be the "
            "last level");
  EXPECT_THAT(MappingError("rules:\n"
                           "  - topic: \"a/{name}\"\n"
                           "    asset: x\n"
                           "    signal: y\n"),
              StartsWith("mapping.yaml:2:12: rules[0].topic: "));
}

TEST(MappingTest, TemplateSyntaxErrorsNameThePlace) {
  EXPECT_THAT(MappingError("rules:\n"
                           "  - topic: a/{m}\n"
                           "    asset: \"x/{m\"\n"
                           "    signal: y\n"),
              StartsWith("mapping.yaml:3:12: rules[0].asset: 'x/{m': '{' without a closing '}'"));
}

TEST(MappingTest, UnitIsValidated) {
  EXPECT_THAT(MappingError("rules:\n"
                           "  - topic: a\n"
                           "    asset: x\n"
                           "    signal: y\n"
                           "    unit: degF\n"),
              AllOf(StartsWith("mapping.yaml:5:11: rules[0].unit: "), HasSubstr("degF")));
}

TEST(MappingTest, ScaleMustBeFiniteAndNotZero) {
  const std::string head =
      "rules:\n"
      "  - topic: a\n"
      "    asset: x\n"
      "    signal: y\n";
  EXPECT_EQ(MappingError(head + "    scale: 0\n"),
            "mapping.yaml:5:12: rules[0].scale: scale must be a finite number other than 0");
  EXPECT_EQ(MappingError(head + "    scale: 0.0\n"),
            "mapping.yaml:5:12: rules[0].scale: scale must be a finite number other than 0");
  EXPECT_THAT(MappingError(head + "    scale: .inf\n"), HasSubstr("rules[0].scale:"));
  EXPECT_THAT(MappingError(head + "    scale: x\n"), HasSubstr("'x' is not a number"));
  EXPECT_THAT(MappingError(head + "    offset: -.inf\n"), HasSubstr("rules[0].offset:"));
  StatusOr<Mapping> negative = ReadMapping(head + "    scale: -2\n");
  ASSERT_TRUE(negative.ok()) << negative.status().ToString();
  EXPECT_EQ(negative->rules[0].scale, -2);
}

TEST(MappingTest, RequiredKeysAndTypos) {
  EXPECT_EQ(MappingError("rules:\n"
                         "  - topic: a\n"
                         "    signal: y\n"),
            "mapping.yaml:2:5: rules[0]: missing required key 'asset'");
  EXPECT_EQ(MappingError("rules:\n"
                         "  - asset: a\n"
                         "    signal: y\n"),
            "mapping.yaml:2:5: rules[0]: missing required key 'topic'");
  EXPECT_EQ(MappingError("rules:\n"
                         "  - topic: a\n"
                         "    asset: x\n"
                         "    signal: y\n"
                         "    sclae: 2\n"),
            "mapping.yaml:5:5: rules[0].sclae: unknown key (did you mean 'scale'?)");
  EXPECT_EQ(MappingError("version: 1\n"), "mapping.yaml:1:1: missing required key 'rules'");
}

}  // namespace
}  // namespace strata
