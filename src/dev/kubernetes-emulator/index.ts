/** The Kubernetes emulator: a local API server for Warden's Kubernetes tools' tests. */
export { createKubernetesEmulator, type KubernetesEmulator } from './emulator.ts';
export type {
  AccessRule,
  EmulatorIdentity,
  KubernetesEmulatorOptions,
  RecordedRequest,
  StoredKind,
} from './emulator.types.ts';
export type { FaultMatch } from './faults.ts';
export type { LogLine } from './logs.ts';
export type { PodHealth } from './pod-factory.ts';
export { CHECKOUT_IMAGES, sampleShopWorld } from './sample-world.ts';
export type { SeedDeployment, SeedEvent, SeedHpa, SeedPod, SeedResult, SeedSpec } from './seed.types.ts';
export type { TokenClaims } from './tokens.ts';
export { EmulatorSchemaError } from './validate.ts';
