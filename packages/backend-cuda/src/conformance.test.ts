import './index.js';
import { runConformanceSuite } from '@symgrad/core/testing';

// The shared suite; without a GPU every case is reported skipped with the backend's reason.
runConformanceSuite({ backend: 'cuda', dtypes: ['float32', 'float64'], skip: [] });
