/**
 * The most samples a data check reads (`checkDataset`): their inputs against the model and their labels. Past
 * it the samples are counted, not read, as a check must stay quick; the page says so while a check runs. A
 * module of its own, so the page can say it without bundling the dataset schemas (zod).
 */
export const MAX_CHECKED_SAMPLES = 20_000;
