/** The process's query manager, shared by the session (spark.streams) and the writer. */
import { StreamingQueryManager } from "./manager";

export const streams = new StreamingQueryManager();
