# Injected into bench's own build dirs (-DCMAKE_PROJECT_stagehand_INCLUDE=<this file>) until the
# top CMakeLists.txt adds tools/ itself: at the end of the top directory (deferred: CMake
# forbids add_subdirectory there, so tools/CMakeLists.txt is included with absolute paths).
set(STAGEHAND_BENCH_TOOLS_INCLUDE ${CMAKE_CURRENT_LIST_DIR}/tools-deferred.cmake)
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL include
  ${STAGEHAND_BENCH_TOOLS_INCLUDE})
