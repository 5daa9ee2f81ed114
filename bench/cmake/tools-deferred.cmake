if(NOT TARGET stagehand-report AND EXISTS ${CMAKE_SOURCE_DIR}/tools/CMakeLists.txt)
  include(${CMAKE_SOURCE_DIR}/tools/CMakeLists.txt)
endif()
