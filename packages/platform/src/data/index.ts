export * from './ids.ts';
export * from './orm.ts';
export * from './sql.ts';
export * from './seeded-random.ts';
