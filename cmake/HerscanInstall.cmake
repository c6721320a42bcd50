include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS herscan EXPORT herscanTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/herscan ${PROJECT_BINARY_DIR}/include/herscan
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(HERSCAN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/herscan)
install(EXPORT herscanTargets NAMESPACE herscan:: DESTINATION ${HERSCAN_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/herscanConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/herscanConfig.cmake
                              INSTALL_DESTINATION ${HERSCAN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/herscanConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/herscanConfig.cmake
              ${PROJECT_BINARY_DIR}/herscanConfigVersion.cmake
        DESTINATION ${HERSCAN_CMAKE_DIR})
if(HERSCAN_BUILD_APPS)
  install(TARGETS herscan-cli herscan-loudness herscan-frames RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
