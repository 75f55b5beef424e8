import { AnalyticsSummaryPage } from "./session-analytics-page.tsx";

export default AnalyticsSummaryPage;
