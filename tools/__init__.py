"""Build tools of the repository, outside the runtime package: executing the notebooks and building
their offline HTML site. Used by ``tasks.py`` and the tests; never imported by ``vectorlab``, so an
install of the package carries none of nbclient's or nbconvert's weight."""
