# All dependencies come from Debian packages (rig/install-deps.sh installs them).
# For the static build we pick the .a archives explicitly; the sanitizer build links the
# shared libraries because ASan needs the dynamic loader.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

if(STAGEHAND_STATIC)
  set(_lib_names_yaml libyaml-cpp.a)
  set(_lib_names_proc2 libproc2.a)
  set(_lib_names_cares libcares.a)
else()
  set(_lib_names_yaml yaml-cpp)
  set(_lib_names_proc2 proc2)
  set(_lib_names_cares cares)
endif()
# Boost is header-only here: Beast's HTTP parser for the Docker Engine API and the probes (the
# sockets wait in os::wait_any; Asio contributes only its buffer types).
# Boost.Filesystem is not used: std::filesystem, already in libstdc++, does every path job,
# and Boost's path/operations objects would add ~67 KiB to each hook (README, Building).
find_package(Boost 1.74 REQUIRED)
find_library(YAML_CPP_LIB NAMES ${_lib_names_yaml} REQUIRED)
find_library(PROC2_LIB NAMES ${_lib_names_proc2} REQUIRED)
find_library(CARES_LIB NAMES ${_lib_names_cares} REQUIRED)
find_path(PROC2_INCLUDE libproc2/meminfo.h REQUIRED)
find_path(CARES_INCLUDE ares.h REQUIRED)
find_path(SPDLOG_INCLUDE spdlog/spdlog.h REQUIRED)
find_path(YAML_CPP_INCLUDE yaml-cpp/yaml.h REQUIRED)

# Third-party code: headers as SYSTEM so our -Werror never applies to them.
add_library(stagehand_deps INTERFACE)
target_include_directories(stagehand_deps SYSTEM INTERFACE
  ${PROC2_INCLUDE} ${CARES_INCLUDE} ${SPDLOG_INCLUDE} ${YAML_CPP_INCLUDE} ${Boost_INCLUDE_DIRS})
# spdlog and fmt header-only: no libspdlog/libfmt at link time.
target_compile_definitions(stagehand_deps INTERFACE SPDLOG_HEADER_ONLY FMT_HEADER_ONLY
  CARES_STATICLIB)
target_link_libraries(stagehand_deps INTERFACE
  ${YAML_CPP_LIB} Boost::headers ${PROC2_LIB} ${CARES_LIB}
  nlohmann_json::nlohmann_json Threads::Threads)
