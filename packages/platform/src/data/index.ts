export * from './ids.ts';
export * from './orm.ts';
export * from './sql.ts';
