/** The registrar service (SPEC S2.4) and the persistent contact store. */
export * from './attach-persistence.ts';
export * from './binding-plan.ts';
export * from './contact-expiry.ts';
export * from './expires-policy.ts';
export * from './persistence.ts';
export * from './realm.ts';
export * from './registrar.ts';
export * from './sqlite-persistence.ts';
export * from './stored-contact.ts';
