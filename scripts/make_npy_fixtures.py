# Writes the small .npy fixtures of src/core/io/fixtures with NumPy: /usr/bin/python3 scripts/make_npy_fixtures.py src/core/io/fixtures
import numpy as np, sys
d = sys.argv[1]
np.save(d + '/f4.npy', np.arange(6, dtype='<f4').reshape(2, 3) / 4)
np.save(d + '/f8be.npy', (np.arange(6).reshape(2, 3) - 2.5).astype('>f8'))
np.save(d + '/fort.npy', np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)))
np.save(d + '/u1.npy', np.array([[0, 255], [7, 9]], dtype=np.uint8))
np.save(d + '/i8.npy', np.array([1, -2, 3], dtype=np.int64))
