import type { z } from 'zod';
import { canvasSchemas } from './canvas';
import { edfiSchemas } from './edfi';
import { onerosterSchemas } from './oneroster';

/** Every schema a spec can name as `resource.schema`, e.g. `"canvas.users"`. */
export const builtInSchemas: Record<BuiltInSchemaName, z.ZodType> = { ...canvasSchemas, ...edfiSchemas, ...onerosterSchemas };

export type BuiltInSchemaName = keyof typeof canvasSchemas | keyof typeof edfiSchemas | keyof typeof onerosterSchemas;

export const BUILT_IN_SCHEMA_NAMES = Object.keys(builtInSchemas) as [BuiltInSchemaName, ...BuiltInSchemaName[]];
