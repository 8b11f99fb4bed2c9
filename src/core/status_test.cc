#include "core/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace strata {
namespace {

using ::testing::HasSubstr;

TEST(StatusTest, DefaultIsOkWithEmptyMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(s, Status::Ok());
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s(StatusCode::kNotFound, "asset 'pump-7' is not in the model");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "asset 'pump-7' is not in the model");
  EXPECT_EQ(s.ToString(), "not_found: asset 'pump-7' is not in the model");
}

TEST(StatusTest, OkCodeDropsTheMessage) {
  // An OK status holds nothing: a message given with kOk is not kept.
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s, Status());
}

TEST(StatusTest, FactoriesSetTheirCodes) {
  struct Case {
    Status status;
    StatusCode code;
    const char* name;
  };
  const std::vector<Case> cases = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument, "invalid_argument"},
      {NotFoundError("m"), StatusCode::kNotFound, "not_found"},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists, "already_exists"},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition, "failed_precondition"},
      {OutOfRangeError("m"), StatusCode::kOutOfRange, "out_of_range"},
      {UnavailableError("m"), StatusCode::kUnavailable, "unavailable"},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted, "resource_exhausted"},
      {DataLossError("m"), StatusCode::kDataLoss, "data_loss"},
      {CancelledError("m"), StatusCode::kCancelled, "cancelled"},
      {InternalError("m"), StatusCode::kInternal, "internal"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(StatusCodeName(c.code), c.name);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "ok");
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(InvalidArgumentError("x"), InvalidArgumentError("x"));
  EXPECT_FALSE(InvalidArgumentError("x") == InvalidArgumentError("y"));
  EXPECT_FALSE(InvalidArgumentError("x") == NotFoundError("x"));
  EXPECT_FALSE(InvalidArgumentError("") == Status::Ok());
}

TEST(StatusTest, CopiesShareValueAndMovesLeaveSourceValid) {
  Status a = UnavailableError("broker down");
  Status b = a;
  EXPECT_EQ(a, b);
  Status c = std::move(a);
  EXPECT_EQ(c.code(), StatusCode::kUnavailable);
  EXPECT_EQ(c.message(), "broker down");
  b = Status::Ok();
  EXPECT_TRUE(b.ok());
  EXPECT_EQ(c.message(), "broker down");
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  const Status s = NotFoundError("no such file");
  const Status wrapped = s.WithContext("loading plant.yaml");
  EXPECT_EQ(wrapped.code(), StatusCode::kNotFound);
  EXPECT_EQ(wrapped.message(), "loading plant.yaml: no such file");
  EXPECT_EQ(s.message(), "no such file") << "WithContext must not change the original";
  EXPECT_EQ(wrapped.WithContext("edge").message(), "edge: loading plant.yaml: no such file");
}

TEST(StatusTest, WithContextOnOkStaysOk) {
  const Status s = Status::Ok().WithContext("context");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, IgnoreErrorCompilesOnAnyStatus) {
  InternalError("dropped on purpose").IgnoreError();
  Status::Ok().IgnoreError();
}

// ---------------------------------------------------------------- StatusOr

TEST(StatusOrTest, HoldsAValue) {
  StatusOr<int> v = 42;
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  EXPECT_EQ(v.value(), 42);
  EXPECT_EQ(*v, 42);
  *v = 7;
  EXPECT_EQ(v.value(), 7);
}

TEST(StatusOrTest, HoldsAnError) {
  StatusOr<int> v = OutOfRangeError("register 70000 is beyond 65535");
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(v.status().message(), "register 70000 is beyond 65535");
}

TEST(StatusOrTest, ConvertsFromConvertibleValues) {
  StatusOr<std::string> s = "literal";
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "literal");
  EXPECT_EQ(s->size(), 7u);

  StatusOr<std::vector<int>> list = std::vector<int>{1, 2, 3};
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 3u);
}

TEST(StatusOrTest, ConstAccess) {
  const StatusOr<std::string> s = std::string("abc");
  EXPECT_EQ(s.value(), "abc");
  EXPECT_EQ(*s, "abc");
  EXPECT_EQ(s->size(), 3u);
}

TEST(StatusOrTest, MoveOnlyValue) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(**p, 5);
  std::unique_ptr<int> taken = std::move(p).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);

  StatusOr<std::unique_ptr<int>> q = std::make_unique<int>(6);
  std::unique_ptr<int> taken2 = *std::move(q);
  EXPECT_EQ(*taken2, 6);
}

TEST(StatusOrTest, CopyAndMoveOfStatusOr) {
  StatusOr<std::string> a = std::string("value");
  StatusOr<std::string> b = a;
  EXPECT_EQ(*b, "value");
  EXPECT_EQ(*a, "value");
  StatusOr<std::string> c = std::move(a);
  EXPECT_EQ(*c, "value");

  StatusOr<std::string> e = DataLossError("corrupt block");
  StatusOr<std::string> f = e;
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.status(), DataLossError("corrupt block"));
}

TEST(StatusOrTest, StatusIsOkWhileHoldingValueEvenAfterReassignment) {
  StatusOr<int> v = InternalError("x");
  EXPECT_FALSE(v.ok());
  v = 3;
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  v = NotFoundError("gone");
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "gone");
}

#ifdef NDEBUG
TEST(StatusOrTest, BuiltFromOkStatusBecomesInternalError) {
  // Debug builds assert; release builds must still not claim to hold a value.
  StatusOr<int> v = Status::Ok();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInternal);
}
#endif

// ---------------------------------------------------------------- macros

Status FailIf(bool fail, int* calls) {
  ++*calls;
  return fail ? InvalidArgumentError("failed on request") : Status::Ok();
}

Status TwoSteps(bool fail_first, bool fail_second, int* calls, bool* reached_end) {
  STRATA_RETURN_IF_ERROR(FailIf(fail_first, calls));
  STRATA_RETURN_IF_ERROR(FailIf(fail_second, calls).WithContext("second"));
  *reached_end = true;
  return Status::Ok();
}

TEST(StatusMacroTest, ReturnIfErrorPassesOkThrough) {
  int calls = 0;
  bool reached_end = false;
  EXPECT_TRUE(TwoSteps(false, false, &calls, &reached_end).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(reached_end);
}

TEST(StatusMacroTest, ReturnIfErrorReturnsTheFirstErrorAndEvaluatesOnce) {
  int calls = 0;
  bool reached_end = false;
  const Status s = TwoSteps(true, true, &calls, &reached_end);
  EXPECT_EQ(s, InvalidArgumentError("failed on request"));
  EXPECT_EQ(calls, 1) << "the expression must be evaluated exactly once";
  EXPECT_FALSE(reached_end);

  calls = 0;
  const Status s2 = TwoSteps(false, true, &calls, &reached_end);
  EXPECT_EQ(s2.message(), "second: failed on request");
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(reached_end);
}

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError(std::to_string(x) + " is odd");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  STRATA_ASSIGN_OR_RETURN(int half, Half(x));
  STRATA_ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

TEST(StatusMacroTest, AssignOrReturnDeclaresAndAssigns) {
  StatusOr<int> q = Quarter(12);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(*q, 3);
}

TEST(StatusMacroTest, AssignOrReturnPropagatesTheError) {
  StatusOr<int> q = Quarter(6);  // 6 -> 3 -> odd
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(q.status(), InvalidArgumentError("3 is odd"));
  EXPECT_EQ(Quarter(5).status().message(), "5 is odd");
}

StatusOr<std::unique_ptr<std::string>> MakeName(bool fail) {
  if (fail) return NotFoundError("no name");
  return std::make_unique<std::string>("pump-07");
}

StatusOr<size_t> NameLength(bool fail) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<std::string> name, MakeName(fail));
  return name->size();
}

Status AssignToExisting(bool fail, std::unique_ptr<std::string>* out) {
  STRATA_ASSIGN_OR_RETURN(*out, MakeName(fail));
  return Status::Ok();
}

TEST(StatusMacroTest, AssignOrReturnMovesMoveOnlyValues) {
  StatusOr<size_t> n = NameLength(false);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 7u);
  EXPECT_EQ(NameLength(true).status().code(), StatusCode::kNotFound);

  std::unique_ptr<std::string> out;
  ASSERT_TRUE(AssignToExisting(false, &out).ok());
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(*out, "pump-07");

  std::unique_ptr<std::string> untouched = std::make_unique<std::string>("kept");
  EXPECT_FALSE(AssignToExisting(true, &untouched).ok());
  ASSERT_NE(untouched, nullptr);
  EXPECT_EQ(*untouched, "kept") << "the target is not assigned when the expression fails";
}

Status UseInStatusFunction(int x, int* out) {
  STRATA_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(StatusMacroTest, AssignOrReturnWorksInFunctionsReturningStatus) {
  int out = -1;
  EXPECT_TRUE(UseInStatusFunction(8, &out).ok());
  EXPECT_EQ(out, 4);
  const Status s = UseInStatusFunction(7, &out);
  EXPECT_THAT(s.message(), HasSubstr("7 is odd"));
  EXPECT_EQ(out, 4);
}

}  // namespace
}  // namespace strata
