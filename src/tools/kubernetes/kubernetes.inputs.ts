import { z } from 'zod';
import { catalogServiceSchema } from '../catalog.calls.ts';

/** A service name from the service catalog; the catalog, not the model, turns it into a namespace. */
export const serviceInput = catalogServiceSchema.describe(
  'The service, by its name in the service catalog, such as checkout.',
);

/** A Kubernetes object name (RFC 1123 subdomain), used only for names the tool checks belong to the service. */
export const objectNameInput = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes object name');

/** A container name (RFC 1123 label). */
export const containerNameInput = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a container name');
