/**
 * Registers the journeys' custom search attributes on a Temporal cluster (production, or any
 * server that was not started by `npm start`). Idempotent: existing attributes are left alone.
 *   TEMPORAL_ADDRESS=temporal.example:7233 TEMPORAL_NAMESPACE=default npm run ops:register-search-attributes
 */
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { loadCoreConfig } from '../config/core';
import { allSearchAttributes } from '../workflows/shared/search-attributes';

const config = loadCoreConfig();
const connection = await Connection.connect({
  address: config.TEMPORAL_ADDRESS ?? `localhost:${config.TEMPORAL_PORT}`,
  ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
  ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
});
const namespace = config.TEMPORAL_NAMESPACE;
const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
const missing = allSearchAttributes.filter((key) => !(key.name in (customAttributes ?? {})));
if (missing.length === 0) {
  console.log(`All ${allSearchAttributes.length} search attributes already exist in ${namespace}.`);
} else {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
    ),
  });
  console.log(`Registered ${missing.map((k) => k.name).join(', ')} in ${namespace}.`);
}
await connection.close();
