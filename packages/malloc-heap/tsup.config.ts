import { rtememTsup } from '../../tsup.base';

export default rtememTsup();
