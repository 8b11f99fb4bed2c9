// The conformance suite of HubStore: one value-parameterised GoogleTest suite that every engine
// passes. An engine's test file instantiates it with a factory of fresh, empty databases:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, HubStoreConformanceTest,
//                            ::testing::Values(HubStoreEngine{"sqlite", MakeSqliteDatabase}),
//                            HubStoreEngineName);
//
// The suite's sources are compiled into the engine's test binary (a static library would let the
// linker drop the TEST_Ps, which nothing references).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "core/status.h"
#include "hub/store/hub_store.h"

namespace strata {

// One test's database. Fresh and empty when made; what it holds is removed when it is
// destroyed (or with the server that holds it).
class HubStoreTestDatabase {
 public:
  virtual ~HubStoreTestDatabase() = default;
  // Options that open this database: every OpenHubStore(options()) is another store object on
  // the same data (as another hub process would be).
  virtual HubStoreOptions options() const = 0;
};

struct HubStoreEngine {
  std::string name;  // the instantiation's suffix: "sqlite", "postgres"
  std::function<StatusOr<std::unique_ptr<HubStoreTestDatabase>>()> make_database;
};

// For GoogleTest's messages: the engine's name, not the bytes of the struct.
inline void PrintTo(const HubStoreEngine& engine, std::ostream* os) { *os << engine.name; }

inline std::string HubStoreEngineName(const ::testing::TestParamInfo<HubStoreEngine>& info) {
  return info.param.name;
}

class HubStoreConformanceTest : public ::testing::TestWithParam<HubStoreEngine> {
 protected:
  void SetUp() override;
  // Another store object on the test's database.
  std::unique_ptr<HubStore> OpenAnother();

  std::unique_ptr<HubStoreTestDatabase> database_;
  std::unique_ptr<HubStore> store_;
};

}  // namespace strata
