# strata::onnxruntime: the prebuilt ONNX Runtime that scripts/fetch-onnxruntime.sh puts in
# .cache/onnxruntime/ (there is no Debian package). Headers are SYSTEM includes (the project's
# warnings do not apply to them). Executables that link it get the library's folder in their
# build-tree RPATH (CMake adds it for an imported library outside the system folders), so they
# run without LD_LIBRARY_PATH.
include_guard(GLOBAL)

set(STRATA_ONNXRUNTIME_ROOT "${PROJECT_SOURCE_DIR}/.cache/onnxruntime"
    CACHE PATH "Where scripts/fetch-onnxruntime.sh put ONNX Runtime (lib/ and include/)")

set(_strata_ort_lib "${STRATA_ONNXRUNTIME_ROOT}/lib/libonnxruntime.so.1")
set(_strata_ort_header "${STRATA_ONNXRUNTIME_ROOT}/include/onnxruntime_cxx_api.h")
if(NOT EXISTS "${_strata_ort_lib}" OR NOT EXISTS "${_strata_ort_header}")
  message(FATAL_ERROR
    "ONNX Runtime is missing: ${_strata_ort_lib} or ${_strata_ort_header} not found.\n"
    "Run scripts/fetch-onnxruntime.sh (or scripts/deps.sh, or `make deps`): it downloads the "
    "pinned ONNX Runtime from the npm registry into .cache/onnxruntime/.")
endif()

# Re-run configure when the fetch script changes its pins (new stamp).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             "${STRATA_ONNXRUNTIME_ROOT}/.strata-fetched")

add_library(strata::onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(strata::onnxruntime PROPERTIES
  IMPORTED_LOCATION "${_strata_ort_lib}"
  IMPORTED_SONAME "libonnxruntime.so.1"
  INTERFACE_INCLUDE_DIRECTORIES "${STRATA_ONNXRUNTIME_ROOT}/include")
