// PLACEHOLDER — being written.
#include "store/store.h"
namespace strata {
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions&) { return InternalError("not yet"); }
}  // namespace strata
