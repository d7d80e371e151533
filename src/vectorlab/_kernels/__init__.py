"""(private) The measured fast paths behind the teaching modules.

Pure functions on arrays their public callers have already checked (shape, dtype, finiteness, non-zero
rows): no user-facing error is raised here. A kernel that meets a non-finite score reports it in one way,
by returning ``None`` (see :mod:`vectorlab._kernels.scoring`), and the public function at the door turns
that into the error the user reads.
"""
