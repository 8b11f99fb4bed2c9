// OnnxRuntime against models built at test time by Debian python3-onnx
// (testdata/make_test_models.py) and an XGBoost model converted by scripts/xgboost_to_onnx.py
// (testdata/make_xgboost_reference.py). Reference scores are worked out by hand (the trees) or
// computed by numpy / XGBoost itself, never by ONNX Runtime.
#include "ml/onnx/onnx_runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/child_process.h"
#include "testing/testing.h"

namespace strata::ml {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Runs a testdata script with Debian's interpreter: its python3-onnx and python3-xgboost
// belong to /usr/bin/python3, and the python3 on PATH may be another one without them.
void RunScript(const std::string& script, const testing::TempDir& out) {
  ChildProcess::Options options;
  options.argv = {"/usr/bin/python3", testing::SourceDir() + "/src/ml/onnx/testdata/" + script,
                  out.path()};
  options.log_file = out.File(script + ".log");
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  const auto code = (*child)->WaitFor(120'000'000'000LL);
  ASSERT_EQ(code, 0) << script << " failed:\n" << testing::ReadTextFile(options.log_file);
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A reference file: "<rows> <features>", then per row the features and the expected score.
struct Reference {
  size_t num_features = 0;
  std::vector<float> rows;
  std::vector<double> expected;
};

Reference ReadReference(const std::string& path) {
  std::ifstream in(path);
  size_t num_rows = 0;
  Reference ref;
  in >> num_rows >> ref.num_features;
  std::string token;
  for (size_t row = 0; row < num_rows; ++row) {
    for (size_t feature = 0; feature <= ref.num_features; ++feature) {
      in >> token;  // strtod reads "nan", which operator>> does not
      const double value = std::strtod(token.c_str(), nullptr);
      if (feature < ref.num_features) {
        ref.rows.push_back(static_cast<float>(value));
      } else {
        ref.expected.push_back(value);
      }
    }
  }
  EXPECT_EQ(ref.expected.size(), num_rows) << path;
  return ref;
}

class OnnxRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    RunScript("make_test_models.py", *dir_);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Model(const std::string& name) { return ReadBytes(dir_->File(name)); }
  static StatusOr<std::unique_ptr<OnnxRuntime>> LoadModel(const std::string& name,
                                                          OnnxOptions options) {
    return OnnxRuntime::Load(Model(name), options);
  }
  static OnnxOptions Features(size_t n) {
    OnnxOptions options;
    options.num_features = n;
    return options;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* OnnxRuntimeTest::dir_ = nullptr;

TEST_F(OnnxRuntimeTest, TreeClassifierScoresArePositiveClassProbabilities) {
  auto runtime = LoadModel("tree_classifier.onnx", Features(3));
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  EXPECT_EQ((*runtime)->kind(), "onnx");
  EXPECT_EQ((*runtime)->num_features(), 3u);
  EXPECT_EQ((*runtime)->input_name(), "x");
  EXPECT_EQ((*runtime)->output_name(), "probabilities");  // not the int64 label
  EXPECT_EQ((*runtime)->score_column(), 1u);

  // Worked out by hand from the trees in make_test_models.py (average of the two trees'
  // class-1 probabilities); rows 3 and 4 sit on and just past the thresholds.
  const std::vector<float> rows = {0,       0,       0,  //
                                   1,       2,       1,  //
                                   1,       0,       3,  //
                                   0.5f,    1,       5,  //
                                   0.5001f, 1.0001f, 2};
  const std::vector<double> expected = {(0.1 + 0.3) / 2, (0.6 + 0.7) / 2, (0.8 + 0.3) / 2,
                                        (0.1 + 0.3) / 2, (0.8 + 0.7) / 2};
  std::vector<float> scores(5);
  ASSERT_TRUE((*runtime)->Predict(rows, scores).ok());
  for (size_t i = 0; i < scores.size(); ++i) EXPECT_NEAR(scores[i], expected[i], 1e-6) << i;
}

TEST_F(OnnxRuntimeTest, MlpMatchesNumpy) {
  const Reference ref = ReadReference(dir_->File("mlp.txt"));
  for (const char* model : {"mlp.onnx", "mlp_batch1.onnx"}) {
    auto runtime = LoadModel(model, Features(ref.num_features));
    ASSERT_TRUE(runtime.ok()) << model << ": " << runtime.status().ToString();
    std::vector<float> scores(ref.expected.size());
    ASSERT_TRUE((*runtime)->Predict(ref.rows, scores).ok()) << model;
    for (size_t i = 0; i < scores.size(); ++i) {
      EXPECT_NEAR(scores[i], ref.expected[i], 1e-5) << model << " row " << i;
    }
  }
}

TEST_F(OnnxRuntimeTest, PredictChecksSizes) {
  auto runtime = LoadModel("mlp.onnx", Features(4));
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  std::vector<float> rows(8, 0.5f);
  std::vector<float> scores(2);
  EXPECT_TRUE((*runtime)->Predict(rows, scores).ok());
  EXPECT_TRUE((*runtime)->Predict({}, {}).ok());

  std::vector<float> ragged(7, 0.5f);
  Status status = (*runtime)->Predict(ragged, scores);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a whole number of rows of 4"));

  std::vector<float> too_few(1);
  status = (*runtime)->Predict(rows, too_few);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("2 rows need 2 scores"));
}

TEST_F(OnnxRuntimeTest, WrongInputWidthNamesBothWidths) {
  auto runtime = LoadModel("wide_input.onnx", Features(4));
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(
      runtime.status().message(),
      AllOf(HasSubstr("'x'"), HasSubstr("takes 5 features per row"), HasSubstr("4 are expected")));
}

TEST_F(OnnxRuntimeTest, ThreeColumnsNeedAScoreColumn) {
  auto runtime = LoadModel("three_columns.onnx", Features(4));
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(),
              AllOf(HasSubstr("'probabilities' tensor(float)[?,3]"), HasSubstr("3 columns")));

  OnnxOptions options = Features(4);
  options.score_column = 3;
  runtime = LoadModel("three_columns.onnx", options);
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(), HasSubstr("score column 3 does not exist"));

  options.score_column = 2;
  runtime = LoadModel("three_columns.onnx", options);
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  std::vector<float> rows(4, 0.0f);  // equal logits: every class 1/3
  std::vector<float> score(1);
  ASSERT_TRUE((*runtime)->Predict(rows, score).ok());
  EXPECT_NEAR(score[0], 1.0 / 3.0, 1e-6);
}

TEST_F(OnnxRuntimeTest, OutputShapeKnownOnlyAtRunTimeIsCheckedThen) {
  auto runtime = LoadModel("dynamic_columns.onnx", Features(4));
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  EXPECT_EQ((*runtime)->score_column(), std::nullopt);
  std::vector<float> rows(8, 1.0f);
  std::vector<float> scores(2);
  const Status status = (*runtime)->Predict(rows, scores);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("output 'y'"), HasSubstr("[2,4]"), HasSubstr("4 columns per row")));
}

TEST_F(OnnxRuntimeTest, OneValueForManyRowsIsAnError) {
  auto runtime = LoadModel("one_value.onnx", Features(4));
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  std::vector<float> rows(12, 1.0f);
  std::vector<float> scores(3);
  const Status status = (*runtime)->Predict(rows, scores);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("'total'"), HasSubstr("[1,1] for 3 rows")));
}

TEST_F(OnnxRuntimeTest, StringOutputIsRefusedAtLoad) {
  auto runtime = LoadModel("string_output.onnx", Features(4));
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(),
              AllOf(HasSubstr("'text' tensor(string)"), HasSubstr("not a float tensor")));
}

TEST_F(OnnxRuntimeTest, ZipMapClassifierIsRefusedWithAHint) {
  auto runtime = LoadModel("tree_zipmap.onnx", Features(3));
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(),
              AllOf(HasSubstr("'output_probability' sequence"), HasSubstr("zipmap off")));
}

TEST_F(OnnxRuntimeTest, NamedInputsAndOutputsAreChecked) {
  OnnxOptions options = Features(3);
  options.output_name = "label";  // int64
  auto runtime = LoadModel("tree_classifier.onnx", options);
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(), HasSubstr("'label' tensor(int64)[?]"));

  options.output_name = "nope";
  runtime = LoadModel("tree_classifier.onnx", options);
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(),
              AllOf(HasSubstr("no output 'nope'"), HasSubstr("'probabilities'")));

  options.output_name.clear();
  options.input_name = "features";
  runtime = LoadModel("tree_classifier.onnx", options);
  ASSERT_FALSE(runtime.ok());
  EXPECT_THAT(runtime.status().message(),
              AllOf(HasSubstr("no input 'features'"), HasSubstr("'x' tensor(float)[?,3]")));
}

TEST_F(OnnxRuntimeTest, CorruptBytesAreAnError) {
  for (const std::string& bytes : {std::string("this is not an onnx model"),
                                   Model("mlp.onnx").substr(0, 100), std::string()}) {
    auto runtime = OnnxRuntime::Load(bytes, Features(4));
    ASSERT_FALSE(runtime.ok());
    EXPECT_EQ(runtime.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(runtime.status().message(), HasSubstr("onnx model"));
  }
}

TEST_F(OnnxRuntimeTest, BadOptionsAreAnError) {
  EXPECT_FALSE(LoadModel("mlp.onnx", Features(0)).ok());
  OnnxOptions options = Features(4);
  options.intra_op_threads = 0;
  EXPECT_FALSE(LoadModel("mlp.onnx", options).ok());
}

TEST_F(OnnxRuntimeTest, ExplainIsAStatusNotACrash) {
  auto runtime = LoadModel("mlp.onnx", Features(4));
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  EXPECT_FALSE((*runtime)->can_explain());
  std::vector<float> rows(4, 0.0f);
  std::vector<float> contributions(5);
  const Status status = (*runtime)->Explain(rows, contributions);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("SHAP"));
}

size_t ThreadCount() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++count;
  }
  return count;
}

TEST_F(OnnxRuntimeTest, RunsOnTheCallingThreadByDefault) {
  // ONNX Runtime starts one idle thread per process with its first environment; beyond that,
  // loading and running with the default options must not start threads.
  auto first = LoadModel("mlp.onnx", Features(4));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const size_t before = ThreadCount();
  auto runtime = LoadModel("tree_classifier.onnx", Features(3));
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  std::vector<float> rows(3 * 1000, 0.5f);
  std::vector<float> scores(1000);
  ASSERT_TRUE((*runtime)->Predict(rows, scores).ok());
  EXPECT_EQ(ThreadCount(), before);
}

TEST(OnnxRuntimeLibraryTest, VersionIsThePinnedOne) {
  EXPECT_EQ(OnnxRuntime::LibraryVersion(), "1.30.0");  // scripts/fetch-onnxruntime.sh
}

// XGBoost model size: features, trees, depth.
struct XgboostShape {
  int features;
  int trees;
  int depth;
};

class XgboostToOnnxTest : public ::testing::TestWithParam<XgboostShape> {};

// Loads `model` from `dir` and checks its scores against XGBoost's in `reference`.
void ExpectMatchesXgboost(const testing::TempDir& dir, const std::string& model,
                          const std::string& reference, size_t num_features) {
  SCOPED_TRACE(model);
  const Reference ref = ReadReference(dir.File(reference));
  ASSERT_EQ(ref.num_features, num_features);
  OnnxOptions options;
  options.num_features = ref.num_features;
  auto runtime = OnnxRuntime::Load(ReadBytes(dir.File(model)), options);
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  EXPECT_EQ((*runtime)->input_name(), "features");
  EXPECT_EQ((*runtime)->output_name(), "score");

  std::vector<float> scores(ref.expected.size());
  ASSERT_TRUE((*runtime)->Predict(ref.rows, scores).ok());
  size_t rows_with_nan = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    bool has_nan = false;
    for (size_t f = 0; f < ref.num_features; ++f) {
      has_nan = has_nan || std::isnan(ref.rows[i * ref.num_features + f]);
    }
    rows_with_nan += has_nan ? 1 : 0;
    EXPECT_NEAR(scores[i], ref.expected[i], 1e-5) << "row " << i;
  }
  EXPECT_GT(rows_with_nan, 50u);  // the missing-value paths were exercised
}

TEST_P(XgboostToOnnxTest, ConvertedModelMatchesXgboostOnEveryRow) {
  const XgboostShape shape = GetParam();
  testing::TempDir dir;
  ChildProcess::Options options;
  options.argv = {"/usr/bin/python3",
                  testing::SourceDir() + "/src/ml/onnx/testdata/make_xgboost_reference.py",
                  dir.path(),
                  std::to_string(shape.features),
                  std::to_string(shape.trees),
                  std::to_string(shape.depth)};
  options.log_file = dir.File("make_xgboost_reference.log");
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_EQ((*child)->WaitFor(120'000'000'000LL), 0) << testing::ReadTextFile(options.log_file);

  ExpectMatchesXgboost(dir, "xgboost.onnx", "xgboost.txt", shape.features);
  ExpectMatchesXgboost(dir, "xgboost_margin.onnx", "xgboost_margin.txt", shape.features);
}

// The second is the benchmark's model size (issue 4: 100 trees of depth 6, 32 features).
INSTANTIATE_TEST_SUITE_P(Shapes, XgboostToOnnxTest,
                         ::testing::Values(XgboostShape{6, 20, 4}, XgboostShape{32, 100, 6}),
                         [](const ::testing::TestParamInfo<XgboostShape>& param_info) {
                           return std::to_string(param_info.param.features) + "Features" +
                                  std::to_string(param_info.param.trees) + "TreesDepth" +
                                  std::to_string(param_info.param.depth);
                         });

}  // namespace
}  // namespace strata::ml
