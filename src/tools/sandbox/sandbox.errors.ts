import { type WardenError, wardenError } from '../../shared/errors.ts';

/** The service does not exist in this environment. */
export function unknownService({
  service,
  environment,
}: {
  service: string;
  environment: string;
}): WardenError {
  return wardenError({
    code: 'sandbox.unknown_service',
    message: `There is no service ${service} in ${environment}.`,
    details: { service, environment },
  });
}
