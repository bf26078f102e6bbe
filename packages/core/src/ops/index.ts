// Importing each family registers its ops with defineOp.
import './elemwise.js';
import './reduce.js';
import './linalg.js';
import './movement.js';
import './indexing.js';
import './nnet.js';
import './random.js';

export { broadcastShapes, checkBroadcastTo } from './broadcast.js';
export { resolveReshape, resolveSliceAxis } from './movement.js';
export { reducedShape } from './reduce.js';
export { binaryResultDtype, unaryResultDtype } from './elemwise.js';
export { takeGeometry, takeIndex, takeFill } from './indexing.js';
